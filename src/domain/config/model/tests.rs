use super::*;

#[test]
fn quantities() {
    for ok in ["10Gi", "500m", "1", "0.5", "2Ti", "+1G"] {
        assert!(parse_quantity(ok).is_ok(), "{ok}");
    }
    assert!(parse_quantity("-5Gi").unwrap_err().contains("negative"));
    assert!(
        parse_quantity("ten")
            .unwrap_err()
            .contains("not a quantity")
    );
    assert!(parse_quantity("10GB").is_err());
    assert!(parse_quantity("Gi").is_err());
    let q = |s: &str| Quantity(s.into()).value();
    assert_eq!(q("500m"), 0.5);
    assert_eq!(q("2"), 2.0);
    assert_eq!(q("+1Ki"), 1024.0);
    assert_eq!(q("10Gi"), 10.0 * 1024.0 * 1024.0 * 1024.0);
    assert_eq!(q("1.5G"), 1.5e9);
    assert_eq!(q("0"), 0.0);
}

#[test]
fn durations() {
    assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
    assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    assert!(parse_duration("0s").is_err());
    assert!(
        parse_duration("15").is_err(),
        "a unit is required in text form"
    );
    assert!(
        parse_duration("soon")
            .unwrap_err()
            .contains("not a duration")
    );
}
