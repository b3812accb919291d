fn main() -> anyhow::Result<()> {
    dualnet_platform::service::main(&party_grid::DEFINITION)
}
