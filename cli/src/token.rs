//! `dualnet token`: mints a bearer token for local use and demos, signed
//! with the configured key (`auth.signing_kid` in `auth.keys`).

use dualnet_platform::{
    auth::{self, Claims, Scope},
    config::Config,
};

#[derive(clap::Args)]
pub struct Args {
    /// Who acts: a staff code or a system's name.
    #[arg(long)]
    sub: String,
    /// The caller's department, e.g. `urban-management`.
    #[arg(long)]
    department: String,
    /// A role (repeatable), e.g. `grid_worker`, `dispatcher`, `auditor`.
    #[arg(long = "role")]
    roles: Vec<String>,
    /// Subdistrict ids in scope (repeatable).
    #[arg(long = "subdistrict")]
    subdistricts: Vec<String>,
    /// Community ids in scope (repeatable).
    #[arg(long = "community")]
    communities: Vec<String>,
    /// Grid ids in scope (repeatable).
    #[arg(long = "grid")]
    grids: Vec<String>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    ttl_secs: u32,
}

#[allow(clippy::print_stdout)]
pub fn run(args: Args, config: &Config) -> anyhow::Result<()> {
    let scope = Scope { subdistricts: args.subdistricts, communities: args.communities, grids: args.grids };
    let claims = Claims::issue(&config.auth, args.sub, args.department, args.roles, scope, i64::from(args.ttl_secs));
    println!("{}", auth::mint(&config.auth, &claims)?);
    Ok(())
}
