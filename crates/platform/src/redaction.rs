//! Free text made fit for the public (a notice, a keyless Open311 read):
//! what could name or reach a person masked.

/// What replaces a masked run.
pub const MASK: &str = "***";

fn digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// `text` with what could name or reach a person masked: runs of five or
/// more digits (phone numbers, identity numbers with their check character,
/// separators inside allowed), e-mail addresses, and flat numbers (the
/// digits after 栋/座/单元 or before 室/房/户, after "room"/"flat"/"apt").
pub fn redact(text: &str) -> String {
    let text = redact_digits(&redact_mail(text));
    let words: Vec<&str> = text.split_inclusive(char::is_whitespace).collect();
    let mut out = String::with_capacity(text.len());
    for (i, word) in words.iter().enumerate() {
        let bare = word.trim_end();
        let after_flat_word = i > 0 && {
            let previous = words[i - 1].trim().to_lowercase();
            matches!(previous.trim_end_matches(['.', ':', '#']), "room" | "flat" | "apt" | "unit")
        };
        if after_flat_word && bare.chars().next().is_some_and(digit) {
            out.push_str(MASK);
            out.push_str(&word[bare.len()..]);
            continue;
        }
        out.push_str(word);
    }
    out
}

/// Every e-mail address masked: the address characters on both sides of
/// an `@`, wherever it stands in the text.
fn redact_mail(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let domain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-');
    let mut masked = vec![false; chars.len()];
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let start = (0..at).rev().take_while(|&i| local(chars[i])).last();
        let end = (at + 1..chars.len()).take_while(|&i| domain(chars[i])).last();
        if let (Some(start), Some(end)) = (start, end) {
            masked[start..=end].iter_mut().for_each(|m| *m = true);
        }
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        match (masked[i], i > 0 && masked[i - 1]) {
            (true, false) => out.push_str(MASK),
            (true, true) => {}
            (false, _) => out.push(*c),
        }
    }
    out
}

fn redact_digits(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if !digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A run of digits, with single separators between digits.
        let start = i;
        let mut digits = 0;
        let mut end = i;
        while end < chars.len() {
            if digit(chars[end]) {
                digits += 1;
                end += 1;
            } else if matches!(chars[end], '-' | ' ') && end + 1 < chars.len() && digit(chars[end + 1]) {
                end += 1;
            } else {
                break;
            }
        }
        // An identity number's check character.
        if digits == 17 && end < chars.len() && matches!(chars[end], 'X' | 'x') {
            end += 1;
            digits += 1;
        }
        let before = start.checked_sub(1).map(|b| chars[b]);
        let after = chars.get(end).copied();
        let flat = matches!(before, Some('栋' | '座' | '元')) || matches!(after, Some('室' | '房' | '户'));
        if digits >= 5 || flat {
            out.push_str(MASK);
        } else {
            out.extend(&chars[start..end]);
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_and_identity_numbers_and_e_mail_are_masked() {
        assert_eq!(redact("我是张三，电话13800138000，请回电"), "我是张三，电话***，请回电");
        assert_eq!(redact("call 138-0013-8000 or 0755 2345 6789"), "call *** or ***");
        assert_eq!(redact("身份证44030019900101123X"), "身份证***");
        assert_eq!(redact("mail zhang.san@example.cn today"), "mail *** today");
        assert_eq!(redact("联系li.si@example.cn谢谢"), "联系***谢谢");
    }

    #[test]
    fn flat_numbers_are_masked_and_building_and_street_numbers_kept() {
        assert_eq!(redact("城市广场3栋1203室噪音"), "城市广场3栋***室噪音");
        assert_eq!(redact("五和新村12栋602"), "五和新村12栋***");
        assert_eq!(redact("room 1203 is loud"), "room *** is loud");
        assert_eq!(redact("坂田街道2号楼下"), "坂田街道2号楼下");
        assert_eq!(redact("noise after 22:00 on 3 nights"), "noise after 22:00 on 3 nights");
    }

    #[test]
    fn full_width_digits_are_digits() {
        assert_eq!(redact("电话１３８００１３８０００"), "电话***");
    }
}
