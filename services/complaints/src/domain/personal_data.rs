//! Residents' personal data as a caller without the personal-data
//! permission sees it: enough to recognise, not enough to reach.

/// "张三" → "张*", "欧阳娜娜" → "欧***": the first character stays.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// "13812345678" → "138****5678": the first three and the last four digits
/// stay; a shorter number keeps only its last two.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    let n = digits.len();
    let keep = |i: usize| if n >= 11 { i < 3 || i >= n - 4 } else { i + 2 >= n };
    digits.iter().enumerate().map(|(i, d)| if keep(i) { *d } else { '*' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("Li"), "L*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn phones_keep_the_first_three_and_last_four_digits() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+86 138-1234-5678"), "861******5678");
        assert_eq!(mask_phone("12345"), "***45");
    }
}
