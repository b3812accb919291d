//! Where a request is: a building named, a standard address matched against
//! the map, or coordinates near a known building. One that resolves nowhere
//! is still taken — by the subdistrict fallback owner.

/// A building this close to the coordinates given is the place.
pub const NEAR_METRES: f64 = 100.0;

/// The department that owns requests no route or location assigns.
pub const FALLBACK_OWNER: &str = "subdistrict-service-centre";

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum LocatedBy {
    Building,
    Address,
    Coordinates,
    None,
}

/// An address as the map and residents both write it: no spaces or common
/// punctuation, ASCII letters lowercased, full-width digits made ASCII.
pub fn normalise_address(address: &str) -> String {
    address
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '，' | '、' | '-' | '－' | '#' | '＃'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Great-circle distance in metres.
pub fn distance_metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_000.0;
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// A latitude/longitude box holding every point within `radius_m` of
/// `centre`: `((lat_min, lat_max), (lon_min, lon_max))`, so an index on the
/// coordinates can narrow a distance search.
pub fn bounding_box(centre: (f64, f64), radius_m: f64) -> ((f64, f64), (f64, f64)) {
    const METRES_PER_DEGREE: f64 = 111_320.0;
    // A little slack over the spherical approximation.
    let dlat = radius_m / METRES_PER_DEGREE * 1.01;
    let dlon = dlat / centre.0.to_radians().cos().abs().max(1e-6);
    ((centre.0 - dlat, centre.0 + dlat), (centre.1 - dlon, centre.1 + dlon))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounding_box_holds_every_point_within_the_radius() {
        let centre = (22.6425, 114.0653);
        let ((lat0, lat1), (lon0, lon1)) = bounding_box(centre, 100.0);
        for step in 0..360 {
            let a = (step as f64).to_radians();
            // A point 99.9 m away in direction `a`.
            let p = (
                centre.0 + 99.9 / 111_320.0 * a.cos(),
                centre.1 + 99.9 / (111_320.0 * centre.0.to_radians().cos()) * a.sin(),
            );
            assert!(distance_metres(centre, p) <= 100.0);
            assert!((lat0..=lat1).contains(&p.0) && (lon0..=lon1).contains(&p.1), "{p:?} outside the box");
        }
        // And it is not much larger than the circle.
        assert!(distance_metres(centre, (lat1, centre.1)) < 110.0);
    }

    #[test]
    fn addresses_match_whatever_the_spacing_and_digit_width() {
        assert_eq!(normalise_address("坂田街道 五和大道１２号"), normalise_address("坂田街道五和大道12号"));
        assert_eq!(normalise_address("Bantian, Wuhe Road 12"), "bantianwuheroad12");
    }

    #[test]
    fn distances_are_in_metres() {
        // About 0.001 degrees of latitude: 111 m.
        let d = distance_metres((22.6500, 114.0600), (22.6510, 114.0600));
        assert!((110.0..112.0).contains(&d), "{d}");
        assert!(distance_metres((22.65, 114.06), (22.65, 114.06)) < 0.001);
    }
}
