//! Enum names on the wire and in the databases: each enum derives them with
//! strum (`IntoStaticStr`, `EnumString`, `VariantArray`, snake_case unless a
//! variant says otherwise), and this trait gives every such enum the same
//! three words — `as_str`, `parse` and `ALL` (declaration order). The stored
//! strings are locked by each domain's round-trip tests.

/// An enum whose variants have stable names.
pub trait Named: Sized + Copy + 'static {
    /// Every variant, in declaration order.
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    /// The variant named `s`, if any.
    fn parse(s: &str) -> Option<Self>;
    /// Every variant's name, in declaration order.
    fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.as_str()).collect()
    }
}

impl<T> Named for T
where
    T: Copy + 'static + strum::VariantArray + Into<&'static str> + std::str::FromStr,
{
    const ALL: &'static [Self] = T::VARIANTS;

    fn as_str(self) -> &'static str {
        self.into()
    }

    fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::Named;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
    #[strum(serialize_all = "snake_case")]
    enum Colour {
        LightGreen,
        #[strum(serialize = "red!")]
        Red,
    }

    #[test]
    fn names_are_snake_case_unless_a_variant_says_otherwise_and_parse_back() {
        assert_eq!(Colour::ALL, &[Colour::LightGreen, Colour::Red]);
        assert_eq!(Colour::LightGreen.as_str(), "light_green");
        assert_eq!(Colour::Red.as_str(), "red!");
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Colour::parse("LightGreen"), None, "only the stored name");
    }
}
