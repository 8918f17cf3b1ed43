//! Calendar dates as people type them (`YYYY-MM-DD`, UTC).

use time::Date;

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let bad = || format!("{text:?} is not a date of the form YYYY-MM-DD");
    let mut parts = text.trim().splitn(3, '-');
    let mut next = |len: usize| {
        parts
            .next()
            .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<i32>().ok())
            .ok_or_else(bad)
    };
    let (year, month, day) = (next(4)?, next(2)?, next(2)?);
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let day = u8::try_from(day).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            parse_date("2027-01-31"),
            Ok(Date::from_calendar_date(2027, time::Month::January, 31).unwrap())
        );
        for bad in ["2027-1-31", "31.01.2027", "2027-02-30", "2027-01-31x", ""] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
