//! One combination of a sweep, as a scenario: the base scenario's YAML with each varied
//! value set at its path, in the scenario itself or in a manifest object it applies. An
//! edited manifest travels inline under the scenario's `files:`, which takes precedence
//! over a file of that name beside it, so nothing is written to disk.

use super::SweepError;
use super::spec::{Segment, SweepSpec, Vary};
use crate::model::manifest::Manifest;
use crate::scenario::{self, Files, Scenario};
use serde::Deserialize;
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The base scenario, read once.
#[derive(Debug, Clone)]
pub struct Base {
    /// The scenario file as errors show it.
    pub file: String,
    /// Folder of `-f` files not given inline.
    pub dir: PathBuf,
    /// The scenario's YAML.
    value: Value,
    /// Every manifest file the script applies: its YAML documents, by the name steps use.
    manifests: BTreeMap<String, Vec<Value>>,
    /// The Deployment whose rollout is measured.
    pub deployment: String,
    /// Pod limit each combination is checked against.
    max_pods: usize,
}

/// Reads the base scenario named by a sweep (relative to the sweep file's folder) and
/// checks that every varied object exists.
pub fn load_base(sweep_file: &Path, spec: &SweepSpec, max_pods: usize) -> Result<Base, SweepError> {
    let path = sweep_file
        .parent()
        .unwrap_or(Path::new(""))
        .join(&spec.scenario);
    let checked = scenario::load(&path, max_pods).map_err(SweepError::from)?;
    let file = path.display().to_string();
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let bytes = scenario::read_input_file(&path).map_err(|m| SweepError::at(&file, None, m))?;
    let text =
        String::from_utf8(bytes).map_err(|_| SweepError::at(&file, None, "not UTF-8".into()))?;
    let value: Value =
        serde_yaml::from_str(&text).map_err(|e| SweepError::at(&file, None, e.to_string()))?;
    let mut manifests = BTreeMap::new();
    for name in checked.manifests.keys() {
        let text = match value
            .get("files")
            .and_then(|f| f.get(name))
            .and_then(Value::as_str)
        {
            Some(inline) => inline.to_string(),
            None => read_beside(&dir, name)?,
        };
        manifests.insert(
            name.clone(),
            documents(&text).map_err(|m| SweepError::at(name, None, m))?,
        );
    }
    let deployment = measured_deployment(&checked, spec, sweep_file)?;
    let base = Base {
        file,
        dir,
        value,
        manifests,
        deployment,
        max_pods,
    };
    for v in &spec.vary {
        if let Some((kind, name)) = &v.object
            && !base
                .manifests
                .values()
                .flatten()
                .any(|d| is_object(d, kind, name))
        {
            return Err(SweepError::at(
                &sweep_file.display().to_string(),
                Some(v.line),
                format!(
                    "object: {}/{name} is in no manifest the scenario's script applies",
                    kind.to_ascii_lowercase()
                ),
            ));
        }
    }
    Ok(base)
}

fn read_beside(dir: &Path, name: &str) -> Result<String, SweepError> {
    let path = dir.join(name);
    let shown = path.display().to_string();
    let bytes = scenario::read_input_file(&path).map_err(|m| SweepError::at(&shown, None, m))?;
    String::from_utf8(bytes).map_err(|_| SweepError::at(&shown, None, "not UTF-8".into()))
}

/// The YAML documents of a manifest file (empty ones dropped).
fn documents(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = Value::deserialize(doc).map_err(|e| e.to_string())?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

/// The sweep's `deployment:`, or the only Deployment the script applies.
fn measured_deployment(
    s: &Scenario,
    spec: &SweepSpec,
    sweep_file: &Path,
) -> Result<String, SweepError> {
    let names: std::collections::BTreeSet<&str> = s
        .manifests
        .values()
        .flatten()
        .filter_map(|m| match m {
            Manifest::Deployment(d) => Some(d.metadata.name.as_str()),
            _ => None,
        })
        .collect();
    let shown = sweep_file.display().to_string();
    match &spec.deployment {
        Some(d) if names.contains(d.as_str()) => Ok(d.clone()),
        Some(d) => Err(SweepError::at(
            &shown,
            None,
            format!(
                "deployment: \"{d}\" is not applied by the scenario's script (it applies {})",
                names.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        )),
        None if names.len() == 1 => Ok(names
            .iter()
            .next()
            .map(|n| n.to_string())
            .unwrap_or_default()),
        None => Err(SweepError::at(
            &shown,
            None,
            format!(
                "the scenario applies {} Deployments ({}); name the measured one with `deployment:`",
                names.len(),
                names.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn is_object(doc: &Value, kind: &str, name: &str) -> bool {
    doc.get("kind").and_then(Value::as_str) == Some(kind)
        && doc
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            == Some(name)
}

impl Base {
    /// The scenario text of combination `c`.
    pub fn combination_text(&self, spec: &SweepSpec, c: u64) -> Result<String, String> {
        let mut value = self.value.clone();
        let mut edited: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for (v, i) in spec.vary.iter().zip(spec.value_indices(c)) {
            let new = v.values[i].clone();
            match &v.object {
                None => set_path(&mut value, &v.segments, new).map_err(|m| at_path(v, &m))?,
                Some((kind, name)) => {
                    for (file, docs) in &self.manifests {
                        let docs = edited.entry(file.as_str()).or_insert_with(|| docs.clone());
                        for d in docs.iter_mut().filter(|d| is_object(d, kind, name)) {
                            set_path(d, &v.segments, new.clone()).map_err(|m| at_path(v, &m))?;
                        }
                    }
                }
            }
        }
        for (file, docs) in edited {
            let mut text = String::new();
            for d in docs {
                text.push_str("---\n");
                text.push_str(&serde_yaml::to_string(&d).map_err(|e| e.to_string())?);
            }
            let files = entry_mapping(&mut value, "files")?;
            files.insert(Value::String(file.to_string()), Value::String(text));
        }
        serde_yaml::to_string(&value).map_err(|e| e.to_string())
    }

    /// The checked scenario of combination `c`.
    pub fn combination(&self, spec: &SweepSpec, c: u64) -> Result<Scenario, String> {
        self.parse(&self.combination_text(spec, c)?)
    }

    /// Checks a combination's scenario text.
    pub fn parse(&self, text: &str) -> Result<Scenario, String> {
        scenario::parse(text, &self.file, &Files::Dir(&self.dir), self.max_pods)
            .map_err(|e| e.message)
    }
}

fn at_path(v: &Vary, m: &str) -> String {
    format!("{}: {m}", v.path)
}

/// The mapping under `key` of a mapping (made when missing).
fn entry_mapping<'a>(value: &'a mut Value, key: &str) -> Result<&'a mut Mapping, String> {
    let Value::Mapping(map) = value else {
        return Err("the scenario is not a mapping".into());
    };
    let entry = map
        .entry(Value::String(key.into()))
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if entry.is_null() {
        *entry = Value::Mapping(Mapping::new());
    }
    match entry {
        Value::Mapping(m) => Ok(m),
        _ => Err(format!("`{key}` is not a mapping")),
    }
}

/// Sets the value at a path, making the mappings on the way that are missing.
pub fn set_path(root: &mut Value, segments: &[Segment], new: Value) -> Result<(), String> {
    let Some((last, ancestors)) = segments.split_last() else {
        return Err("empty path".into());
    };
    let mut here = root;
    for s in ancestors {
        here = match s {
            Segment::Key(k) => {
                if here.is_null() {
                    *here = Value::Mapping(Mapping::new());
                }
                let Value::Mapping(m) = here else {
                    return Err(format!(
                        "cannot reach `{k}` inside a value that is not a mapping"
                    ));
                };
                m.entry(Value::String(k.clone())).or_insert(Value::Null)
            }
            Segment::Index(i) => index_mut(here, *i)?,
        };
    }
    match last {
        Segment::Key(k) => {
            if here.is_null() {
                *here = Value::Mapping(Mapping::new());
            }
            let Value::Mapping(m) = here else {
                return Err(format!(
                    "cannot set `{k}` inside a value that is not a mapping"
                ));
            };
            m.insert(Value::String(k.clone()), new);
        }
        Segment::Index(i) => *index_mut(here, *i)? = new,
    }
    Ok(())
}

fn index_mut(value: &mut Value, i: usize) -> Result<&mut Value, String> {
    match value {
        Value::Sequence(list) => {
            let n = list.len();
            list.get_mut(i)
                .ok_or_else(|| format!("[{i}] is beyond the list's {n} entries"))
        }
        _ => Err(format!("[{i}] indexes a value that is not a list")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::spec::path_segments;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn a_path_is_set_making_missing_mappings() {
        let mut v = yaml("spec:\n  replicas: 3\n");
        let p = path_segments("spec.strategy.rollingUpdate.maxSurge").unwrap();
        set_path(&mut v, &p, Value::String("50%".into())).unwrap();
        assert_eq!(
            v,
            yaml("spec:\n  replicas: 3\n  strategy:\n    rollingUpdate:\n      maxSurge: 50%\n")
        );
    }

    #[test]
    fn indices_reach_into_lists_and_must_exist() {
        let mut v = yaml("cluster:\n  nodes:\n  - {name: a, count: 3}\n");
        set_path(
            &mut v,
            &path_segments("cluster.nodes[0].count").unwrap(),
            5.into(),
        )
        .unwrap();
        assert_eq!(v["cluster"]["nodes"][0]["count"], Value::from(5));
        let e = set_path(
            &mut v,
            &path_segments("cluster.nodes[1].count").unwrap(),
            5.into(),
        );
        assert_eq!(e.unwrap_err(), "[1] is beyond the list's 1 entries");
        let e = set_path(
            &mut v,
            &path_segments("cluster.nodes[0].name.x").unwrap(),
            5.into(),
        );
        assert!(e.unwrap_err().contains("not a mapping"));
    }
}
