//! Build script of eqnemix-models: provisions the ONNX Runtime shared library.
//!
//! `ort` is built with `load-dynamic`, so ONNX Runtime is a shared library
//! loaded at run time. Debian has no package of it; the PyPI wheel
//! `onnxruntime==1.31.1` ships one (`onnxruntime/capi/libonnxruntime.so.1.31.1`).
//! When that library is not yet present under `models/.onnxruntime/1.31.1/`
//! (git-ignored, shared by every target dir of the workspace, so it survives
//! `cargo clean`), this script runs
//!
//! ```text
//! python3 -m pip install --no-deps --target <tmp> onnxruntime==1.31.1
//! ```
//!
//! into a temporary folder and renames it into place (atomic, so two builds
//! running at once cannot leave a half-installed library). The absolute path
//! of the library is baked into the crate as `EQNEMIX_ORT_DYLIB`; the
//! environment variable `ORT_DYLIB_PATH` overrides it at run time.
//!
//! A failed install (no network, no python3) never fails the build: the script
//! prints a cargo warning and the library then returns a clear error when a
//! model is loaded.
//!
//! Nothing is done when the crate is built without its `onnx` feature.
//!
//! Environment: `ORT_DYLIB_PATH` (if it names an existing file, nothing is
//! installed), `EQNEMIX_PYTHON` (the Python interpreter, default `python3`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The ONNX Runtime release ort 2.0.0-rc.15 targets.
const ORT_VERSION: &str = "1.31.1";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=ORT_DYLIB_PATH");
    println!("cargo:rerun-if-env-changed=EQNEMIX_PYTHON");
    // Without the `onnx` feature there is no ONNX Runtime to provision: no
    // Python, no download.
    if env::var_os("CARGO_FEATURE_ONNX").is_none() {
        return;
    }

    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.join(".onnxruntime");
    let install_dir = root.join(ORT_VERSION);
    let capi = install_dir.join("onnxruntime").join("capi");

    // A user-supplied library makes the download unnecessary (offline builds).
    let user_lib = env::var("ORT_DYLIB_PATH").ok().filter(|s| !s.is_empty()).map(PathBuf::from);
    let user_lib_ok = user_lib.as_ref().is_some_and(|p| p.is_file());

    let mut lib = find_library(&capi);
    if lib.is_none() && !user_lib_ok {
        match install(&root, &install_dir) {
            Ok(()) => {
                lib = find_library(&capi);
                if lib.is_none() {
                    println!(
                        "cargo:warning=onnxruntime=={ORT_VERSION} was installed into {} but no ONNX Runtime shared library was found in {}",
                        install_dir.display(),
                        capi.display()
                    );
                }
            }
            Err(msg) => println!(
                "cargo:warning=could not provision ONNX Runtime {ORT_VERSION} ({msg}); models will fail to load until ORT_DYLIB_PATH names libonnxruntime or the build is re-run with network access to PyPI"
            ),
        }
    }

    // The expected path is baked in even when missing, so the run-time error
    // can say where the library was looked for.
    let expected = lib.unwrap_or_else(|| capi.join(default_library_name()));
    println!("cargo:rustc-env=EQNEMIX_ORT_DYLIB={}", expected.display());
    // Re-run when the library appears or disappears. A missing file counts as
    // changed, so an offline build retries the install on the next build.
    println!("cargo:rerun-if-changed={}", expected.display());
}

/// The library's file name inside the wheel for this target.
fn default_library_name() -> String {
    match env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("macos") => format!("libonnxruntime.{ORT_VERSION}.dylib"),
        Ok("windows") => "onnxruntime.dll".to_string(),
        _ => format!("libonnxruntime.so.{ORT_VERSION}"),
    }
}

/// The ONNX Runtime shared library in the wheel's `capi` folder, if present.
fn find_library(capi: &Path) -> Option<PathBuf> {
    let exact = capi.join(default_library_name());
    if exact.is_file() {
        return Some(exact);
    }
    // Tolerate another file name of the same library (e.g. without version).
    let entries = fs::read_dir(capi).ok()?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            (name.starts_with("libonnxruntime.so")
                || (name.starts_with("libonnxruntime.") && name.ends_with(".dylib"))
                || name == "onnxruntime.dll")
                && !name.contains("providers")
        })
        .collect();
    found.sort();
    found.pop()
}

/// `pip install --no-deps --target` into a fresh temporary folder, then rename
/// it to `install_dir`.
fn install(root: &Path, install_dir: &Path) -> Result<(), String> {
    fs::create_dir_all(root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    let tmp = root.join(format!("tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let python = env::var("EQNEMIX_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let output = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-input", "--no-compile"])
        .arg("--target")
        .arg(&tmp)
        .arg(format!("onnxruntime=={ORT_VERSION}"))
        // A user configuration must not redirect the install.
        .env_remove("PIP_USER")
        .output()
        .map_err(|e| format!("cannot run `{python} -m pip`: {e}"))?;
    if !output.status.success() {
        let _ = fs::remove_dir_all(&tmp);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(format!("`{python} -m pip install onnxruntime=={ORT_VERSION}` failed: {last}"));
    }
    match fs::rename(&tmp, install_dir) {
        Ok(()) => Ok(()),
        // Another build finished first: keep its copy.
        Err(_) if install_dir.is_dir() => {
            let _ = fs::remove_dir_all(&tmp);
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(format!("cannot move {} to {}: {e}", tmp.display(), install_dir.display()))
        }
    }
}
