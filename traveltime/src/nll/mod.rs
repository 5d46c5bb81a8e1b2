//! NonLinLoc grid files: a text header (`.hdr`) and a binary buffer (`.buf`)
//! of little-endian floats, x slowest and z fastest (the order of
//! [`GridGeometry::index`](crate::GridGeometry::index)).
//!
//! Read velocity models (`VELOCITY`, `VELOCITY_METERS`, `SLOWNESS`,
//! `SLOW_LEN`, `VEL2`, `SLOW2`, `SLOW2_METERS`) and travel-time grids
//! (`TIME`), and write any of them, so grids move between eqnemix and
//! NonLinLoc (Vel2Grid, Grid2Time, NLLoc). A grid is named by its base path:
//! `foo` stands for `foo.hdr` + `foo.buf`, and `foo.hdr` or `foo.buf` are
//! accepted too. Travel-time grids follow Grid2Time's naming,
//! `<root>.<PHASE>.<STATION>.time` ([`nll_time_grid_base`]).
//!
//! Velocity grids follow Vel2Grid's cell-centre convention (see
//! [`cell_centres_to_nodes`]); the readers here return the stored values,
//! [`VelocityModel3D::from_nll_grids`](crate::velocity::VelocityModel3D::from_nll_grids)
//! converts them to node values.
//!
//! Assumptions: buffers are little-endian (NonLinLoc writes native order,
//! little-endian on every current platform); `SLOW_LEN` values are slowness
//! times the x spacing `dx` (NonLinLoc requires `dx = dy = dz` for it).

mod cell_centres;
mod file;
mod grid_type;
mod header;
mod writer;

pub(crate) use file::read_uniform_velocity;
pub use cell_centres::{cell_centres_into_nodes, cell_centres_to_nodes, nodes_to_cell_centres};
pub use file::{
    nll_base_path, nll_file_paths, nll_grid_from_bytes, nll_time_grid_base, read_nll_grid, read_nll_header,
    read_nll_velocity, write_nll_grid, NllGrid,
};
pub use grid_type::{GridTypeProblem, NllFloatType, NllGridType};
pub use header::{NllHeader, NllSource};
pub use writer::NllGridWriter;
