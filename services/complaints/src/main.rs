fn main() -> anyhow::Result<()> {
    dualnet_platform::service::main(&complaints::DEFINITION)
}
