//! Writing one NonLinLoc grid file pair a block of values at a time.

use super::file::nll_file_paths;
use super::grid_type::NllFloatType;
use super::header::NllHeader;
use crate::TravelTimeError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Values encoded per `write` call: large enough that the system calls
/// cost nothing next to the copy, small enough to stay in the L2 cache.
const CHUNK_VALUES: usize = 32 * 1024;

/// A NonLinLoc grid (`base.hdr` + `base.buf`) written in blocks of values
/// in [`crate::GridGeometry::index`] order, so a grid of 10^8 nodes can be
/// produced and written piece by piece without ever being held whole.
///
/// The values go to a temporary file beside the `.buf`. Only
/// [`finish`](Self::finish), once every node has a value, makes the pair
/// appear: the `.buf` is flushed to disk and renamed into place, then the
/// `.hdr`. Dropping the writer before (e.g. on an error while computing the
/// values) leaves nothing behind.
///
/// ```
/// use eqnemix_traveltime::nll::{read_nll_grid, NllGridWriter, NllHeader};
/// use eqnemix_traveltime::GridGeometry;
/// let geometry = GridGeometry { n: [2, 2, 3], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
/// let header = NllHeader::velocity_km_s(geometry);
/// let dir = tempfile::tempdir()?;
/// let base = dir.path().join("model.P.mod");
/// let mut out = NllGridWriter::create(&base, &header)?;
/// for ix in 0..2 {
///     // One x slab (ny * nz values) at a time: 6 km/s, then 7 km/s.
///     out.write_f32(&[6.0 + ix as f32; 6])?;
/// }
/// assert!(!dir.path().join("model.P.mod.buf").exists()); // not before finish
/// out.finish()?;
/// let back = read_nll_grid(&base)?;
/// assert_eq!(back.data[5..7], [6.0, 7.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct NllGridWriter {
    hdr_path: PathBuf,
    buf_path: PathBuf,
    header: NllHeader,
    buf: tempfile::NamedTempFile,
    /// Values written so far.
    written: usize,
    /// Encoded bytes of one chunk (reused).
    bytes: Vec<u8>,
}

impl NllGridWriter {
    /// Start writing the grid `header` describes at `base`. Fails, naming
    /// the `.hdr`, on a header that does not validate, and on a temporary
    /// file that cannot be created in `base`'s directory.
    pub fn create(base: impl AsRef<Path>, header: &NllHeader) -> Result<Self, TravelTimeError> {
        let (hdr_path, buf_path) = nll_file_paths(base.as_ref());
        header.validate().map_err(|what| TravelTimeError::Format {
            path: hdr_path.clone(),
            what,
        })?;
        let buf = temp_beside(&buf_path)?;
        Ok(NllGridWriter {
            hdr_path,
            buf_path,
            header: header.clone(),
            buf,
            written: 0,
            bytes: Vec::new(),
        })
    }

    /// Append `values` (the grid's unit) in the header's float type.
    pub fn write_f64(&mut self, values: &[f64]) -> Result<(), TravelTimeError> {
        match self.header.float_type {
            NllFloatType::Float => self.write_encoded(values, |v| (v as f32).to_le_bytes()),
            NllFloatType::Double => self.write_encoded(values, |v| v.to_le_bytes()),
        }
    }

    /// Append `values` (the grid's unit) in the header's float type; a
    /// `FLOAT` grid stores them as they are.
    pub fn write_f32(&mut self, values: &[f32]) -> Result<(), TravelTimeError> {
        match self.header.float_type {
            // The values' own bytes are the file's on little-endian targets.
            #[cfg(target_endian = "little")]
            NllFloatType::Float => {
                self.make_room(values.len())?;
                self.write_bytes(bytemuck::cast_slice(values))?;
                self.written += values.len();
                Ok(())
            }
            #[cfg(not(target_endian = "little"))]
            NllFloatType::Float => self.write_encoded(values, |v| v.to_le_bytes()),
            NllFloatType::Double => self.write_encoded(values, |v| f64::from(v).to_le_bytes()),
        }
    }

    /// Values written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Check that every node has its value, flush the `.buf` to disk and
    /// rename it into place, then write the `.hdr` the same way (the `.buf`
    /// is removed again if that fails). Returns the `.hdr` and `.buf` paths.
    pub fn finish(self) -> Result<(PathBuf, PathBuf), TravelTimeError> {
        let nodes = self.header.geometry.len();
        if self.written != nodes {
            return Err(TravelTimeError::Format {
                path: self.buf_path,
                what: format!("{} values for a grid of {nodes} nodes", self.written),
            });
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TravelTimeError::Io { path, source }
        };
        self.buf.as_file().sync_all().map_err(io(&self.buf_path))?;
        let mut hdr = temp_beside(&self.hdr_path)?;
        hdr.write_all(self.header.format().as_bytes())
            .and_then(|()| hdr.as_file().sync_all())
            .map_err(io(&self.hdr_path))?;
        self.buf
            .persist(&self.buf_path)
            .map_err(|e| io(&self.buf_path)(e.error))?;
        if let Err(e) = hdr.persist(&self.hdr_path) {
            let _ = std::fs::remove_file(&self.buf_path);
            return Err(io(&self.hdr_path)(e.error));
        }
        Ok((self.hdr_path, self.buf_path))
    }

    /// Append `values` as the bytes `encode` gives each, a chunk at a time.
    fn write_encoded<T: Copy, const N: usize>(
        &mut self,
        values: &[T],
        encode: impl Fn(T) -> [u8; N],
    ) -> Result<(), TravelTimeError> {
        self.make_room(values.len())?;
        let mut bytes = std::mem::take(&mut self.bytes);
        for block in values.chunks(CHUNK_VALUES) {
            bytes.clear();
            bytes.reserve(N * block.len());
            for &v in block {
                bytes.extend_from_slice(&encode(v));
            }
            self.write_bytes(&bytes)?;
        }
        self.bytes = bytes;
        self.written += values.len();
        Ok(())
    }

    /// Refuse `count` more values than the grid has nodes left for.
    fn make_room(&self, count: usize) -> Result<(), TravelTimeError> {
        let nodes = self.header.geometry.len();
        if count > nodes - self.written {
            return Err(TravelTimeError::Format {
                path: self.buf_path.clone(),
                what: format!("{count} more values for a grid of {nodes} nodes with {} written", self.written),
            });
        }
        Ok(())
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), TravelTimeError> {
        self.buf.write_all(bytes).map_err(|source| TravelTimeError::Io {
            path: self.buf_path.clone(),
            source,
        })
    }
}

/// An empty temporary file in `target`'s directory, readable by others as a
/// file made by `File::create` is (temporary files are 0600 by default, the
/// grids are ordinary outputs).
fn temp_beside(target: &Path) -> Result<tempfile::NamedTempFile, TravelTimeError> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".nll-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(dir).map_err(|source| TravelTimeError::Io {
        path: target.to_path_buf(),
        source,
    })
}
