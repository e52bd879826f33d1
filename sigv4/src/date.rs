//! SigV4's `YYYYMMDDTHHMMSSZ` timestamps and the RFC 1123 `Date` fallback, in plain integer
//! arithmetic (no `time` or `chrono`, and no clock: instants are passed in).

const SECS_PER_DAY: i64 = 86_400;

/// Formats seconds since the Unix epoch as SigV4's `YYYYMMDDTHHMMSSZ` (UTC).
pub fn format_amz_date(epoch_secs: i64) -> String {
    let days = epoch_secs.div_euclid(SECS_PER_DAY);
    let secs_of_day = epoch_secs.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// Parses SigV4's `YYYYMMDDTHHMMSSZ` into seconds since the Unix epoch,
/// rejecting anything that is not exactly that shape or not a real instant.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[4..6])?;
    let day = digits(&b[6..8])?;
    let hour = digits(&b[9..11])?;
    let minute = digits(&b[11..13])?;
    let second = digits(&b[13..15])?;
    epoch_from_parts(year, month, day, hour, minute, second)
}

/// Parses an RFC 1123 HTTP date (`Sun, 30 Aug 2015 12:36:00 GMT`) into seconds since the Unix
/// epoch: the `Date` header SigV4 accepts when `x-amz-date` is absent (verifiers need it;
/// [`sign`](crate::sign) always sends `x-amz-date`).
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut fields = s.split_whitespace();
    let weekday = fields.next()?;
    if !weekday.ends_with(',') {
        return None;
    }
    let day = fields.next()?;
    let month = fields.next()?;
    let year = fields.next()?;
    let time = fields.next()?;
    if fields.next()? != "GMT" || fields.next().is_some() {
        return None;
    }
    let month = match month {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let time = time.as_bytes();
    if time.len() != 8 || time[2] != b':' || time[5] != b':' || year.len() != 4 || day.len() > 2 {
        return None;
    }
    epoch_from_parts(
        digits(year.as_bytes())?,
        month,
        digits(day.as_bytes())?,
        digits(&time[0..2])?,
        digits(&time[3..5])?,
        digits(&time[6..8])?,
    )
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn epoch_from_parts(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * SECS_PER_DAY + hour * 3600 + minute * 60 + second)
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days of `month` (1 to 12) in `year` (proleptic Gregorian).
pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date. Counting years from
/// March puts the leap day at the end of the year, which makes the day of the
/// year a closed formula of the month; 400-year eras repeat exactly.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 days separate 0000-03-01 (the start of era 0) from 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2015-08-30T12:36:00Z, the instant of every AWS test-suite vector.
    const SUITE_NOW: i64 = 1_440_938_160;
    const SUITE_DATE: &str = "20150830T123600Z";
    const NOW: i64 = 1_795_795_200; // 2026-11-27T16:00:00Z

    #[test]
    fn amz_dates_round_trip() {
        assert_eq!(format_amz_date(0), "19700101T000000Z");
        assert_eq!(format_amz_date(SUITE_NOW), SUITE_DATE);
        assert_eq!(format_amz_date(NOW), "20261127T160000Z");
        assert_eq!(format_amz_date(951_782_400), "20000229T000000Z");
        assert_eq!(format_amz_date(-1), "19691231T235959Z");
        assert_eq!(format_amz_date(4_102_444_799), "20991231T235959Z");
        for secs in [
            0,
            1,
            SUITE_NOW,
            NOW,
            951_782_400,
            4_102_444_799,
            -86_400 * 365,
        ] {
            assert_eq!(parse_amz_date(&format_amz_date(secs)), Some(secs));
        }
        // Every day over four centuries survives the round trip.
        for day in -146_097..146_097 {
            let secs = day * SECS_PER_DAY + 43_210;
            assert_eq!(parse_amz_date(&format_amz_date(secs)), Some(secs));
        }
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015083OT123600Z",
            "20150230T000000Z",
            "20190229T000000Z",
            "20151301T000000Z",
            "20150830T240000Z",
            "20150830T126000Z",
            "+0150830T123600Z",
            "2015083\u{e9}123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
        assert_eq!(parse_amz_date("20240229T000000Z"), Some(1_709_164_800));
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(SUITE_NOW)
        );
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sun, 6 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("Sun, 31 Nov 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT extra"), None);
    }
}
