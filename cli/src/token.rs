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
    /// The services the token is for (repeatable): governance-grid,
    /// party-grid, complaints, arbitration, open311; every service when
    /// none. `--service open311` alone mints an Open311 api_key, signed with
    /// `open311.signing_kid` when Open311 has keys of its own.
    #[arg(long = "service")]
    services: Vec<String>,
}

#[allow(clippy::print_stdout)]
pub fn run(args: Args, config: &Config) -> anyhow::Result<()> {
    if let Some(unknown) = args.services.iter().find(|s| !auth::SERVICES.contains(&s.as_str())) {
        anyhow::bail!("--service {unknown}: name one of {}", auth::SERVICES.join(", "));
    }
    let scope = Scope { subdistricts: args.subdistricts, communities: args.communities, grids: args.grids };
    let mut claims =
        Claims::issue(&config.auth, args.sub, args.department, args.roles, scope, i64::from(args.ttl_secs));
    if !args.services.is_empty() {
        let services: Vec<&str> = args.services.iter().map(String::as_str).collect();
        claims.aud = auth::Audience::of_services(&config.auth.audience, &services);
    }
    let signer = if args.services == ["open311"] { config.open311_auth() } else { config.auth.clone() };
    println!("{}", auth::mint(&signer, &claims)?);
    Ok(())
}
