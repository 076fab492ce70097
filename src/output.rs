//! A run's folder on disk, for the command line only (the library touches no files).
//!
//! The files are written into `<out>/.<name>.tmp-<pid>/`, made before the simulation starts
//! so that an unusable `--out` is refused first. When complete, that folder takes the place
//! of `<out>/<name>/` in one step: on Linux `renameat2(RENAME_EXCHANGE)` swaps the two, so
//! at every instant `<name>/` holds either the whole earlier run or the whole new one, and
//! the earlier run (now under the temporary name) is removed afterwards. Elsewhere, or on a
//! file system without the exchange, the earlier folder is renamed aside and the new one
//! renamed into place: a kill between those two renames leaves `<name>/` absent, with the
//! earlier run kept whole under `.<name>.old-<pid>/` and put back by the next run.
//! Leftovers of runs that were killed are removed (or put back) by the next run of the same
//! name.

use std::io;
use std::path::{Path, PathBuf};

/// Why a run's folder cannot be used: the message names the path.
#[derive(Debug)]
pub struct OutputError(pub String);

impl std::error::Error for OutputError {}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A run's folder being written: the temporary folder and where it will go.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    name: String,
    tmp: PathBuf,
    /// Folders this process made above the temporary one (removed again if unused).
    made_out: Option<PathBuf>,
}

fn tmp_prefix(name: &str) -> String {
    format!(".{name}.tmp-")
}

fn old_prefix(name: &str) -> String {
    format!(".{name}.old-")
}

/// Whether the process that named a leftover folder still runs (always "no" where there is
/// no `/proc` to ask, so leftovers are cleaned there too).
fn pid_alive(pid: u32) -> bool {
    pid != std::process::id() && Path::new("/proc").join(pid.to_string()).exists()
}

/// The highest folder of `out` that does not exist yet, if any (what `create_dir_all` makes).
fn first_missing(out: &Path) -> Option<PathBuf> {
    let mut missing = None;
    let mut p = Some(out);
    while let Some(dir) = p {
        if dir.as_os_str().is_empty() || dir.exists() {
            break;
        }
        missing = Some(dir.to_path_buf());
        p = dir.parent();
    }
    missing
}

/// Checks `<out>/<name>` and makes the temporary folder, before anything is simulated.
pub fn prepare(out: &Path, name: &str) -> Result<Staging, OutputError> {
    let target = out.join(name);
    let shown = |p: &Path| p.display().to_string();
    if out.exists() && !out.is_dir() {
        return Err(OutputError(format!("--out {} is not a folder", shown(out))));
    }
    if let Ok(meta) = std::fs::symlink_metadata(&target) {
        if !meta.is_dir() {
            return Err(OutputError(format!(
                "{} exists and is not a folder; rollsim writes a folder there and leaves the file alone: remove it or choose another --out",
                shown(&target)
            )));
        }
        if !looks_like_a_run(&target) {
            return Err(OutputError(format!(
                "{} exists and is not a rollsim run (no summary.yaml or sweep.yaml); rollsim replaces only its own runs: remove it or choose another --out",
                shown(&target)
            )));
        }
    }
    let made_out = first_missing(out);
    std::fs::create_dir_all(out)
        .map_err(|e| OutputError(format!("cannot create --out {}: {e}", shown(out))))?;
    recover_leftovers(out, name);
    let tmp = out.join(format!("{}{}", tmp_prefix(name), std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    if let Err(e) = std::fs::create_dir(&tmp) {
        if let Some(made) = &made_out {
            let _ = std::fs::remove_dir_all(made);
        }
        return Err(OutputError(format!(
            "cannot write into {}: {e}",
            shown(out)
        )));
    }
    Ok(Staging {
        out: out.to_path_buf(),
        name: name.to_string(),
        tmp,
        made_out,
    })
}

/// Whether a folder may be replaced by a run: empty, or holding a run's `summary.yaml` or
/// a sweep's `sweep.yaml`.
fn looks_like_a_run(dir: &Path) -> bool {
    dir.join("summary.yaml").is_file()
        || dir.join("sweep.yaml").is_file()
        || std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// Writes a file and syncs it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Syncs a folder's entries to disk (where folders can be opened; a no-op elsewhere).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes the temporary folders of killed runs of `name`, and puts back an earlier run
/// that a killed run had renamed aside but not replaced.
fn recover_leftovers(out: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    let target = out.join(name);
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let (is_old, pid) = if let Some(pid) = file.strip_prefix(&tmp_prefix(name)) {
            (false, pid)
        } else if let Some(pid) = file.strip_prefix(&old_prefix(name)) {
            (true, pid)
        } else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid_alive(pid) {
            continue;
        }
        let path = entry.path();
        if is_old && !target.exists() && std::fs::rename(&path, &target).is_ok() {
            continue;
        }
        let _ = std::fs::remove_dir_all(&path);
    }
}

impl Staging {
    /// Where the run's folder goes.
    pub fn target(&self) -> PathBuf {
        self.out.join(&self.name)
    }

    /// Where a file of the folder is written before the swap (for files written as a
    /// command goes rather than all at the end).
    pub fn path(&self, file: &str) -> PathBuf {
        self.tmp.join(file)
    }

    /// Writes the files, then swaps them into place.
    pub fn commit(self, files: &[(String, Vec<u8>)]) -> io::Result<()> {
        // Synced before the swap, so that a power loss after it finds every file whole.
        let written = files
            .iter()
            .try_for_each(|(file, bytes)| write_synced(&self.tmp.join(file), bytes));
        if let Err(e) = written {
            self.abandon();
            return Err(e);
        }
        sync_dir(&self.tmp);
        let target = self.target();
        let swapped = if target.exists() {
            exchange(&self.tmp, &target).or_else(|_| self.replace_by_renames(&target))
        } else {
            std::fs::rename(&self.tmp, &target)
        };
        if let Err(e) = swapped {
            self.abandon();
            return Err(e);
        }
        sync_dir(&self.out);
        // After an exchange the temporary name holds the earlier run.
        let _ = std::fs::remove_dir_all(&self.tmp);
        Ok(())
    }

    /// The portable way: the earlier folder aside, the new one in, the earlier one removed.
    fn replace_by_renames(&self, target: &Path) -> io::Result<()> {
        let old = self
            .out
            .join(format!("{}{}", old_prefix(&self.name), std::process::id()));
        std::fs::rename(target, &old)?;
        if let Err(e) = std::fs::rename(&self.tmp, target) {
            let _ = std::fs::rename(&old, target);
            return Err(e);
        }
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }

    /// Removes the temporary folder (and `--out` itself if this run made it and it is empty).
    pub fn abandon(&self) {
        let _ = std::fs::remove_dir_all(&self.tmp);
        if let Some(made) = &self.made_out {
            // Only folders left empty: another run may have written there meanwhile.
            let _ = std::fs::remove_dir(&self.out);
            let mut p = self.out.parent();
            while let Some(dir) = p {
                if !dir.starts_with(made) || std::fs::remove_dir(dir).is_err() {
                    break;
                }
                p = dir.parent();
            }
        }
    }
}

/// Swaps two folders in one step (`renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

/// No atomic exchange here: the caller falls back to two renames.
#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no atomic exchange on this system",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("rollsim-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch");
        dir
    }

    #[test]
    fn a_commit_swaps_the_whole_folder_and_leaves_nothing_else() {
        let out = scratch("swap");
        std::fs::create_dir_all(out.join("run")).expect("earlier run");
        std::fs::write(out.join("run/old.txt"), "old").expect("old file");
        std::fs::write(out.join("run/summary.yaml"), "name: run").expect("old file");
        let staging = prepare(&out, "run").expect("prepared");
        staging
            .commit(&[("new.txt".to_string(), b"new".to_vec())])
            .expect("committed");
        let names: Vec<String> = std::fs::read_dir(&out)
            .expect("out")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["run"]);
        assert!(!out.join("run/old.txt").exists());
        assert_eq!(std::fs::read(out.join("run/new.txt")).expect("new"), b"new");
        let _ = std::fs::remove_dir_all(&out);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn exchange_swaps_two_folders_in_one_step() {
        let out = scratch("exchange");
        let (a, b) = (out.join("a"), out.join("b"));
        std::fs::create_dir_all(&a).expect("a");
        std::fs::create_dir_all(&b).expect("b");
        std::fs::write(a.join("in-a"), "").expect("file");
        exchange(&a, &b).expect("exchanged");
        assert!(b.join("in-a").exists() && !a.join("in-a").exists());
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn a_folder_that_is_not_a_run_is_never_replaced() {
        let out = scratch("foreign");
        std::fs::create_dir_all(out.join("src")).expect("someone's folder");
        std::fs::write(out.join("src/main.rs"), "fn main() {}").expect("their file");
        let refused = prepare(&out, "src").expect_err("not a run");
        assert!(refused.0.contains("is not a rollsim run"), "{refused}");
        assert!(out.join("src/main.rs").exists());
        std::fs::create_dir_all(out.join("empty")).expect("empty folder");
        assert!(
            prepare(&out, "empty").is_ok(),
            "an empty folder may be used"
        );
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn an_abandoned_run_removes_the_out_folder_it_made() {
        let base = scratch("abandon");
        let out = base.join("new/deeper");
        let staging = prepare(&out, "run").expect("prepared");
        staging.abandon();
        assert!(
            !base.join("new").exists(),
            "folders made for the run are gone"
        );
        let _ = std::fs::remove_dir_all(&base);
    }
}
