//! The category catalogue (also the Open311 service list) and the routing
//! table that gives each request its lead department.

use super::complaint::CategoryDeadline;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub description: String,
    pub deadline: Option<CategoryDeadline>,
    pub group: String,
    pub active: bool,
}

/// The routes that may apply to `category`, most specific first:
/// `labour.wage_arrears` → `labour.wage_arrears`, `labour`, `*`.
pub fn route_keys(category: &str) -> Vec<String> {
    let mut keys = vec![category.to_string()];
    let mut rest = category;
    while let Some((head, _)) = rest.rsplit_once('.') {
        keys.push(head.to_string());
        rest = head;
    }
    keys.push("*".into());
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fall_back_from_the_category_to_its_prefixes_to_any() {
        assert_eq!(route_keys("labour.wage_arrears"), ["labour.wage_arrears", "labour", "*"]);
        assert_eq!(route_keys("noise"), ["noise", "*"]);
    }
}
