//! Device serial numbers, `GK-dddd-dddd-dddd`: eleven digits and a Luhn check digit,
//! so a support agent can tell a mistyped serial from an unknown one.

use std::fmt;

use crate::ProtocolError;

/// A device serial number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Serial(String);

fn luhn_check_digit(digits: &[u8]) -> u8 {
    // Double every second digit counting from the right of the payload.
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

impl Serial {
    /// The serial for a number below 10^11 (higher digits are dropped).
    pub fn from_number(number: u64) -> Self {
        let payload = format!("{:011}", number % 100_000_000_000);
        let digits: Vec<u8> = payload.bytes().map(|b| b - b'0').collect();
        let all = format!("{payload}{}", luhn_check_digit(&digits));
        Serial(format!("GK-{}-{}-{}", &all[0..4], &all[4..8], &all[8..12]))
    }

    /// Parses a serial typed by a person: case, spaces and dashes do not matter.
    pub fn parse(text: &str) -> Result<Self, ProtocolError> {
        let bad = |why: &str| ProtocolError::InvalidSerial(why.into());
        let cleaned: String = text
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase();
        let digits = cleaned
            .strip_prefix("GK")
            .ok_or_else(|| bad("a serial starts with GK"))?;
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("a serial has twelve digits"));
        }
        let values: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
        if luhn_check_digit(&values[..11]) != values[11] {
            return Err(bad("the check digit does not match; is it mistyped?"));
        }
        Ok(Serial(format!(
            "GK-{}-{}-{}",
            &digits[0..4],
            &digits[4..8],
            &digits[8..12]
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_has_the_documented_shape_and_parses_back() {
        let serial = Serial::from_number(48_210_937_551);
        assert_eq!(serial.as_str().len(), "GK-4821-0937-5512".len());
        assert!(serial.as_str().starts_with("GK-4821-0937-551"));
        assert_eq!(
            Serial::parse(&serial.as_str().to_lowercase()).unwrap(),
            serial
        );
        assert_eq!(
            Serial::parse(&serial.as_str().replace('-', " ")).unwrap(),
            serial
        );
    }

    #[test]
    fn a_single_wrong_digit_is_caught() {
        let serial = Serial::from_number(12_345_678_901);
        let text = serial.as_str();
        let last = text.chars().last().unwrap();
        let wrong = if last == '0' { '1' } else { '0' };
        let mistyped = format!("{}{}", &text[..text.len() - 1], wrong);
        assert!(Serial::parse(&mistyped).is_err());
        assert!(Serial::parse("GK-1234").is_err());
        assert!(Serial::parse("XX-1234-5678-9012").is_err());
    }
}
