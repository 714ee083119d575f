//! Dates and durations as NumPy prints them: ISO 8601 text of `datetime64` counts at their
//! unit's precision (as `np.datetime_as_string`), `timedelta64` counts, `NaT`.

use npy_serde::dtype::{DType, DateUnit, Endian};

/// A datetime's ISO text (unquoted) or a timedelta's count, `NaT` for not-a-time: the text
/// export's cell.
pub fn time_cell_text(dtype: &DType, elem: &[u8]) -> String {
    time_text(dtype, elem).map_or_else(|| "NaT".to_string(), |t| t.trim_matches('\'').to_string())
}

/// A datetime's ISO text or a timedelta's count; `None` for NaT.
pub(super) fn time_text(dtype: &DType, elem: &[u8]) -> Option<String> {
    let raw = i64_value(elem, dtype.endian() == Endian::Big);
    if raw == i64::MIN {
        return None;
    }
    match dtype {
        DType::DateTime { unit, .. } => Some(format!(
            "'{}'",
            iso_datetime(i128::from(raw) * i128::from(unit.multiplier), unit.unit)
        )),
        _ => Some(raw.to_string()),
    }
}

pub(super) fn i64_value(elem: &[u8], big: bool) -> i64 {
    let b: [u8; 8] = elem[..8].try_into().unwrap();
    if big {
        i64::from_be_bytes(b)
    } else {
        i64::from_le_bytes(b)
    }
}

/// ISO 8601 text of `count` units since 1970-01-01T00:00, at the unit's precision (as
/// `np.datetime_as_string`).
pub fn iso_datetime(count: i128, unit: DateUnit) -> String {
    let (per_second, digits): (i128, usize) = match unit {
        DateUnit::Years => {
            return year_text(1970 + count);
        }
        DateUnit::Months => {
            let year = 1970 + count.div_euclid(12);
            return format!("{}-{:02}", year_text(year), count.rem_euclid(12) + 1);
        }
        DateUnit::Weeks => return date_text(count * 7),
        DateUnit::Days => return date_text(count),
        DateUnit::Hours => {
            let (days, hours) = (count.div_euclid(24), count.rem_euclid(24));
            return format!("{}T{hours:02}", date_text(days));
        }
        DateUnit::Minutes => {
            let (days, minutes) = (count.div_euclid(1440), count.rem_euclid(1440));
            return format!(
                "{}T{:02}:{:02}",
                date_text(days),
                minutes / 60,
                minutes % 60
            );
        }
        DateUnit::Seconds => (1, 0),
        DateUnit::Milliseconds => (1_000, 3),
        DateUnit::Microseconds => (1_000_000, 6),
        DateUnit::Nanoseconds => (1_000_000_000, 9),
        DateUnit::Picoseconds => (1_000_000_000_000, 12),
        DateUnit::Femtoseconds => (1_000_000_000_000_000, 15),
        DateUnit::Attoseconds => (1_000_000_000_000_000_000, 18),
        DateUnit::Generic => return count.to_string(),
    };
    let (seconds, fraction) = (count.div_euclid(per_second), count.rem_euclid(per_second));
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let mut text = format!(
        "{}T{:02}:{:02}:{:02}",
        date_text(days),
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    );
    if digits > 0 {
        text.push_str(&format!(".{fraction:0digits$}"));
    }
    text
}

fn year_text(year: i128) -> String {
    if year < 0 {
        format!("-{:04}", -year)
    } else {
        format!("{year:04}")
    }
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (proleptic Gregorian calendar).
fn date_text(days: i128) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    format!("{}-{month:02}-{day:02}", year_text(year))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso_datetime(0, DateUnit::Days), "1970-01-01");
        assert_eq!(iso_datetime(18262, DateUnit::Days), "2020-01-01");
        assert_eq!(iso_datetime(-1, DateUnit::Seconds), "1969-12-31T23:59:59");
        assert_eq!(
            iso_datetime(1500, DateUnit::Milliseconds),
            "1970-01-01T00:00:01.500"
        );
        assert_eq!(iso_datetime(13, DateUnit::Months), "1971-02");
    }
}
