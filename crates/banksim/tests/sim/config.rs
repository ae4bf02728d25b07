//! The TOML configuration and the key directory.

use unipay_banksim::SimFileConfig;
use unipay_channel_abc::crypto::Certificate;

#[test]
fn a_key_dir_keeps_the_generated_identity() {
    let dir = std::env::temp_dir().join(format!("banksim-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = SimFileConfig::default()
        .into_sim_config("http://127.0.0.1:1/", Some(&dir))
        .unwrap();
    assert_eq!(first.public_url, "http://127.0.0.1:1");
    assert!(dir.join("banksim.cer").exists() && dir.join("banksim-key.pem").exists());
    let second = SimFileConfig::default()
        .into_sim_config("http://h", Some(&dir))
        .unwrap();
    assert_eq!(first.certificate.to_der(), second.certificate.to_der());

    // A file naming the same key and a merchant, relative to its own directory.
    std::fs::write(
        dir.join("merchant.cer"),
        include_bytes!("../vectors/merchant.cer"),
    )
    .unwrap();
    std::fs::write(
        dir.join("banksim.toml"),
        "public_url = \"http://bank.test\"\nkey_file = \"banksim-key.pem\"\ncertificate_file = \"banksim.pem\"\n\
         notify_schedule_ms = [0, 5]\ncutover_hour = 22\n[[merchants]]\nmerchant_id = \"103881234560010\"\n\
         certificate_file = \"merchant.cer\"\n",
    )
    .unwrap();
    let config = SimFileConfig::load(&dir.join("banksim.toml"))
        .unwrap()
        .into_sim_config("http://unused", None)
        .unwrap();
    assert_eq!(config.public_url, "http://bank.test");
    assert_eq!(config.certificate.to_der(), first.certificate.to_der());
    assert_eq!(config.notify_schedule_ms, [0, 5]);
    assert_eq!(config.cutover_hour, 22);
    assert_eq!(config.merchants[0].0, "103881234560010");
    let expected = Certificate::from_der_or_pem(include_bytes!("../vectors/merchant.cer")).unwrap();
    assert_eq!(config.merchants[0].1.to_der(), expected.to_der());
    assert!(
        SimFileConfig::from_toml_str("cutover_hour = 24")
            .unwrap()
            .into_sim_config("http://h", Some(&dir))
            .is_err()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
