//! A worker process for chapter 05: the numbers on its standard input (as text, separated by
//! white space), summed in the order they came. It prints one line,
//! `{process id} {count} {sum}`, the sum written as the shortest text that reads back as the
//! same `f64`, so nothing is lost on the way back.
//!
//! Usage: sum_floats < numbers

use std::io::Read;
use std::process::ExitCode;

/// The count and the sum of the numbers in `text`, or the first word that is not a number.
fn sum(text: &str) -> Result<(usize, f64), String> {
    let mut count = 0;
    let mut total = 0.0;
    for word in text.split_ascii_whitespace() {
        total += word
            .parse::<f64>()
            .map_err(|_| format!("not a number: {word:?}"))?;
        count += 1;
    }
    Ok((count, total))
}

fn main() -> ExitCode {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("cannot read the numbers: {e}");
        return ExitCode::from(2);
    }
    match sum(&text) {
        Ok((count, total)) => {
            println!("{} {count} {total}", std::process::id());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_in_order_and_refuses_words() {
        assert_eq!(sum("1 2.5\n-0.5\n"), Ok((3, 3.0)));
        assert_eq!(sum(""), Ok((0, 0.0)));
        assert!(sum("1 two").is_err());
        let numbers: Vec<f64> = (0..1000).map(|i| (i as f64).sqrt()).collect();
        let text: String = numbers.iter().map(|x| format!("{x}\n")).collect();
        assert_eq!(
            sum(&text).unwrap().1.to_bits(),
            numbers.iter().sum::<f64>().to_bits()
        );
    }
}
