fn main() -> anyhow::Result<()> {
    dualnet_platform::service::main(&governance_grid::DEFINITION)
}
