//! `kubectl get … -w` and `kubectl wait` on the virtual clock. A watch prints the table,
//! then a row each time an object's row changes (or it is deleted: its last state again), as
//! `kubectl get -w` does with one tabwriter remembering its column widths. A foreground
//! watch stops at its step's `timeout:` (the user's Ctrl-C); a background one (`&`) prints
//! until the run ends, its rows interleaved with later steps' output.

use super::{Halt, Player};
use crate::cluster::Cluster;
use crate::kubectl::get::{GetArgs, get_many};
use crate::kubectl::tabwriter::{TabWriter, for_get};
use crate::scenario::{GetCommand, Kind, Scope};
use std::collections::BTreeMap;

/// One running watch.
pub(super) struct Watch {
    get: GetCommand,
    scope: Scope,
    /// kubectl's writer for the whole watch (`RememberWidths`).
    out: TabWriter,
    /// Each object's row as last printed: its key cells, and the row without its age.
    rows: BTreeMap<String, (String, String)>,
    header_printed: bool,
    /// The object writes already looked at.
    seen_writes: u64,
    seen_events: usize,
}

/// The table now, unaligned: the header and each row with its key (NAMESPACE and NAME, or
/// for events their object, reason and message) and its cells without the age column.
fn snapshot(
    c: &Cluster,
    get: &GetCommand,
    scope: &Scope,
    just_deleted: bool,
) -> (String, Vec<(String, String, String)>) {
    let args = GetArgs {
        raw: true,
        just_deleted,
        ..GetArgs::of(get, scope)
    };
    let out = get_many(c, &get.kinds, &args);
    if !out.ok || out.text.starts_with("No resources found") {
        return (String::new(), Vec::new());
    }
    let mut lines = out.text.lines();
    let header = lines.next().unwrap_or_default().to_string();
    let names: Vec<&str> = header.split('\t').collect();
    let age = names.iter().position(|h| *h == "AGE" || *h == "LAST SEEN");
    let key_cells: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, h)| matches!(**h, "NAMESPACE" | "NAME" | "OBJECT" | "REASON" | "MESSAGE"))
        .map(|(i, _)| i)
        .collect();
    let rows = lines
        .map(|row| {
            let cells: Vec<&str> = row.split('\t').collect();
            let pick = |keep: &dyn Fn(usize) -> bool| {
                cells
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| keep(*i))
                    .map(|(_, c)| *c)
                    .collect::<Vec<_>>()
                    .join("\t")
            };
            let key = pick(&|i| key_cells.contains(&i));
            let signature = pick(&|i| Some(i) != age);
            (key, signature, row.to_string())
        })
        .collect();
    (header, rows)
}

impl Watch {
    /// Starts a watch: the table as it is now (printed and flushed together), or nothing
    /// when it is empty (kubectl prints no "No resources found" while watching).
    pub(super) fn start(c: &Cluster, get: &GetCommand, scope: &Scope) -> (Watch, String) {
        let mut w = Watch {
            get: get.clone(),
            scope: scope.clone(),
            out: for_get().remembering_widths(),
            rows: BTreeMap::new(),
            header_printed: false,
            seen_writes: c.object_writes(),
            seen_events: c.recorder.events.len(),
        };
        let (header, rows) = snapshot(c, get, scope, false);
        let mut text = String::new();
        if !rows.is_empty() {
            w.out.write(&format!("{header}\n"));
            w.header_printed = true;
            for (key, signature, row) in rows {
                w.out.write(&format!("{row}\n"));
                w.rows.insert(key, (signature, row));
            }
            w.out.flush_into(&mut text);
        }
        (w, text)
    }

    /// The rows that changed since the last look (each flushed on its own, as kubectl
    /// flushes after every event), or nothing when no object was written.
    pub(super) fn poll(&mut self, c: &Cluster) -> String {
        let events = c.recorder.events.len();
        let watches_events = self.get.kinds.first() == Some(&Kind::Event);
        if c.object_writes() == self.seen_writes && !(watches_events && events != self.seen_events)
        {
            return String::new();
        }
        self.seen_writes = c.object_writes();
        self.seen_events = events;
        let (header, rows) = snapshot(c, &self.get, &self.scope, false);
        let mut text = String::new();
        let mut now: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (key, signature, row) in rows {
            let changed = self.rows.get(&key).is_none_or(|(s, _)| *s != signature);
            if changed {
                self.print(&header, &row, &mut text);
            }
            now.insert(key, (signature, row));
        }
        let before = std::mem::replace(&mut self.rows, now);
        if !watches_events && before.keys().any(|k| !self.rows.contains_key(k)) {
            self.print_deleted(c, &header, before, &mut text);
        }
        text
    }

    /// Objects gone since the last look: each DELETED event prints the object's last
    /// state, its age as of now. A pod removed at this moment is printed from the store as
    /// the kubelet left it (containers exited: `0/1 Completed`), first as the status
    /// update that came before its removal when that changed its row; any other object
    /// with the row last printed.
    fn print_deleted(
        &mut self,
        c: &Cluster,
        header: &str,
        before: BTreeMap<String, (String, String)>,
        text: &mut String,
    ) {
        let watches_pods = self.get.kinds.contains(&Kind::Pod);
        let just_deleted: BTreeMap<String, (String, String)> = if watches_pods {
            let (_, rows) = snapshot(c, &self.get, &self.scope, true);
            rows.into_iter().map(|(k, s, row)| (k, (s, row))).collect()
        } else {
            BTreeMap::new()
        };
        let gone: Vec<(String, (String, String))> = before
            .into_iter()
            .filter(|(k, _)| !self.rows.contains_key(k))
            .collect();
        for (key, (signature, row)) in gone {
            match just_deleted.get(&key) {
                Some((last_signature, last_row)) => {
                    if *last_signature != signature {
                        self.print(header, last_row, text);
                    }
                    self.print(header, last_row, text);
                }
                None => self.print(header, &row, text),
            }
        }
    }

    fn print(&mut self, header: &str, row: &str, text: &mut String) {
        if !self.header_printed {
            self.out.write(&format!("{header}\n"));
            self.header_printed = true;
        }
        self.out.write(&format!("{row}\n"));
        self.out.flush_into(text);
    }
}

impl Player<'_> {
    /// Looks at every background watch after an event, printing what changed.
    pub(super) fn poll_watches(&mut self) {
        let mut printed = Vec::new();
        for w in &mut self.watches {
            let text = w.poll(&self.c);
            if !text.is_empty() {
                printed.push(text);
            }
        }
        for text in printed {
            self.later(&text);
        }
    }

    /// `kubectl get … -w &`: the table now, then rows in the background until the run ends.
    pub(super) fn watch_in_background(&mut self, get: &GetCommand, scope: &Scope) -> bool {
        let (w, text) = Watch::start(&self.c, get, scope);
        self.output(&text);
        self.watches.push(w);
        true
    }

    /// `{run: kubectl get … -w, timeout: D}`: the table, then rows as they change until the
    /// user stops the watch after D (a success, as Ctrl-C ends a watch).
    pub(super) fn watch_for(
        &mut self,
        get: &GetCommand,
        scope: &Scope,
        timeout_ms: u64,
    ) -> Result<bool, Halt> {
        let (w, text) = Watch::start(&self.c, get, scope);
        self.output(&text);
        self.watches.push(w);
        let index = self.watches.len() - 1;
        let deadline = self.c.now().plus_ms(timeout_ms);
        let wait = self.advance_to(deadline);
        self.watches.remove(index);
        if let super::Wait::Until = wait? {
            self.note(format!(
                "rollsim: the scenario's `until` ({}) came while this watch was still running",
                self.scenario.until
            ));
        }
        Ok(true)
    }

    /// `kubectl wait --for=condition=C[=V] TYPE/NAME` or `--for=delete`: blocks until the
    /// condition holds (kubectl's `condition met`), or fails at `--timeout`.
    pub(super) fn wait_for(
        &mut self,
        (kind, name): (Kind, &str),
        condition: Option<&(String, String)>,
        scope: &Scope,
        timeout_ms: u64,
    ) -> Result<bool, Halt> {
        let ns = scope.namespace.as_str();
        let prefix = crate::kubectl::get::kind_prefix(kind);
        let resource = kind
            .resource()
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string();
        if condition.is_some() && !exists(&self.c, kind, (ns, name)) {
            self.output(&format!(
                "Error from server (NotFound): {} \"{name}\" not found\n",
                kind.resource()
            ));
            return Ok(false);
        }
        if condition.is_none() && !exists(&self.c, kind, (ns, name)) {
            return Ok(true);
        }
        let deadline = self.c.now().plus_ms(timeout_ms);
        let target = deadline.min(self.scenario.until);
        loop {
            let met = match condition {
                Some((c, v)) => condition_holds(&self.c, kind, (ns, name), (c, v)),
                None => !exists(&self.c, kind, (ns, name)),
            };
            if met {
                self.later(&format!("{prefix}/{name} condition met"));
                return Ok(true);
            }
            if !self.step(target)? {
                self.c.run_until(target)?;
                if deadline <= self.scenario.until {
                    self.later(&format!(
                        "error: timed out waiting for the condition on {resource}/{name}"
                    ));
                } else {
                    self.note(format!(
                        "rollsim: the scenario's `until` ({}) came while this step was still waiting",
                        self.scenario.until
                    ));
                }
                return Ok(false);
            }
            self.tracker.observe(&self.c);
        }
    }
}

fn exists(c: &Cluster, kind: Kind, (ns, name): (&str, &str)) -> bool {
    match kind {
        Kind::Deployment => c.store.deployment_by_name(ns, name).is_some(),
        _ => c.store.pod_by_name(ns, name).is_some(),
    }
}

/// Whether the object's condition has the wanted status (compared as kubectl does,
/// ignoring case); a Deployment's only once its status describes its latest generation.
fn condition_holds(
    c: &Cluster,
    kind: Kind,
    (ns, name): (&str, &str),
    (condition, value): (&str, &str),
) -> bool {
    match kind {
        Kind::Deployment => c.store.deployment_by_name(ns, name).is_some_and(|(_, d)| {
            d.status.observed_generation >= d.meta.generation
                && d.status.conditions.iter().any(|k| {
                    k.kind.eq_ignore_ascii_case(condition)
                        && k.status.as_str().eq_ignore_ascii_case(value)
                })
        }),
        _ => c.store.pod_by_name(ns, name).is_some_and(|p| {
            let pod = c.store.pod(p);
            let status = match condition.to_ascii_lowercase().as_str() {
                "ready" | "containersready" => pod.ready,
                "podscheduled" => pod.node.is_some(),
                "initialized" => pod.init_done >= pod.init_total,
                _ => return false,
            };
            let wanted = if status { "true" } else { "false" };
            wanted.eq_ignore_ascii_case(value)
        }),
    }
}
