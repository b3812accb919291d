use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn environment_overrides_the_file_and_defaults() {
    let dir = std::env::temp_dir().join(format!("dualnet-config-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dualnet.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:7000\"\n[kafka]\nbootstrap_servers = \"file:9092\"\npartitions = 6\n")
        .unwrap();
    let c = Config::load_from(
        Some(&file),
        env(&[
            ("DUALNET_KAFKA__BOOTSTRAP_SERVERS", "env:9092"),
            ("DUALNET_CONSUMER__MAX_ATTEMPTS", "9"),
            ("DUALNET_KAFKA__PROPERTIES__SECURITY_PROTOCOL", "ssl"),
            ("DUALNET_TEST_UNRELATED", "ignored"),
            ("DUALNET_OPEN311__LISTEN", "127.0.0.1:8311"),
            ("DUALNET_ADDRESS_FILE", "/run/dualnet/addresses"),
            ("DUALNET_ARBITRATION__CITY", "Shenzhen"),
        ]),
    )
    .unwrap();
    assert_eq!(c.listen, Some("127.0.0.1:7000".parse().unwrap()));
    assert_eq!(c.kafka.bootstrap_servers, "env:9092");
    assert_eq!(c.address_file.as_deref(), Some(Path::new("/run/dualnet/addresses")));
    assert_eq!(c.kafka.partitions, 6);
    assert_eq!(c.consumer.max_attempts, 9);
    assert_eq!(c.kafka.properties.get("security.protocol").map(String::as_str), Some("ssl"));
    assert_eq!(c.open311.listen, Some("127.0.0.1:8311".parse().unwrap()));
    assert_eq!(c.arbitration.city, "Shenzhen");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn invalid_values_are_refused_at_start() {
    assert!(Config::load_from(None, env(&[("DUALNET_CONSUMER__MAX_ATTEMPTS", "0")])).is_err());
    let nowhere = Config::load_from(None, env(&[("DUALNET_ARBITRATION__CITY", "Atlantis")])).unwrap_err();
    assert!(format!("{nowhere:#}").contains("Atlantis"), "a city without minimum-wage figures: {nowhere:#}");
    let labour = Config::load_from(None, env(&[("DUALNET_OPEN311__PUBLIC_CATEGORIES", "[\"labour.wage_arrears\"]")]));
    assert!(labour.is_err(), "a labour category is never public");
    assert!(Config::load_from(None, env(&[("DUALNET_TRANSPORT__KIND", "carrier-pigeon")])).is_err());
    assert!(Config::load_from(None, env(&[("DUALNET_DATABASE__NO_SUCH_KEY", "1")])).is_err());
}

#[test]
fn secrets_do_not_print() {
    let c = Config::load_from(None, env(&[("DUALNET_DATABASE__URL", "postgres://u:hunter2@h/db")])).unwrap();
    assert!(!format!("{c:?}").contains("hunter2"));
    assert_eq!(c.database.url.unwrap().expose(), "postgres://u:hunter2@h/db");
}

#[test]
fn retention_is_a_week_by_default_and_zero_keeps_rows_for_ever() {
    let week = Some(std::time::Duration::from_secs(7 * 24 * 3600));
    let defaults = Config::load_from(None, env(&[])).unwrap().retention.settings();
    assert_eq!((defaults.outbox, defaults.inbox, defaults.log), (week, week, week));
    let c = Config::load_from(None, env(&[("DUALNET_RETENTION__INBOX_HOURS", "0")])).unwrap();
    assert_eq!(c.retention.settings().inbox, None);
    assert!(Config::load_from(None, env(&[("DUALNET_RETENTION__BATCH", "0")])).is_err());
}

/// The example file in docs/operations.md names only keys dualnet knows, with
/// values of their types (its files are examples, so it is not validated).
#[test]
fn the_documented_example_configuration_parses() {
    let doc = include_str!("../../../../docs/operations.md");
    let start = doc.find("```toml\n").expect("a toml example") + "```toml\n".len();
    let example = &doc[start..start + doc[start..].find("```").unwrap()];
    let c: Config = toml::from_str(example).expect("the documented example parses");
    assert_eq!(c.retention.every_ms, 600_000);
}
