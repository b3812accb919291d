fn main() -> anyhow::Result<()> {
    dualnet_platform::service::main(&arbitration::DEFINITION)
}
