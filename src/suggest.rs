//! "did you mean": the known names closest to a mistyped one.

/// The edit distance between `a` and `b` (insertions, deletions, substitutions and swaps of two
/// neighbours, each 1: "optimal string alignment"), counted in characters; None once it is
/// sure to exceed `max`.
fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Three rows of the usual table: two back (for swaps), the last one, this one.
    let mut back2: Vec<usize> = vec![0; b.len() + 1];
    let mut back: Vec<usize> = (0..=b.len()).collect();
    let mut row = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (back[j] + 1).min(row[j - 1] + 1).min(back[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(back2[j - 2] + 1);
            }
            row[j] = d;
        }
        if row.iter().min().is_some_and(|&m| m > max) {
            return None;
        }
        std::mem::swap(&mut back2, &mut back);
        std::mem::swap(&mut back, &mut row);
    }
    Some(back[b.len()]).filter(|&d| d <= max)
}

/// The candidates one or two edits from `word` (one for words of four characters or fewer, where
/// two would match almost anything), the closest first, at most three, without repeats.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let max = if word.chars().count() <= 4 { 1 } else { 2 };
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != word)
        .filter_map(|c| distance(word, c, max).map(|d| (d, c)))
        .collect();
    near.sort_unstable();
    near.dedup_by(|a, b| a.1 == b.1);
    near.into_iter().take(3).map(|(_, c)| c).collect()
}

/// ` (did you mean 'a'?)`, ` (did you mean 'a' or 'b'?)`, or nothing when none is close; the
/// names escaped, as everything printed that came from outside.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let near = closest(word, candidates);
    let quoted: Vec<String> = near
        .iter()
        .map(|c| format!("'{}'", crate::escape::name(c.as_bytes())))
        .collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => format!(" (did you mean {one}?)"),
        [rest @ .., last] => format!(" (did you mean {} or {last}?)", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_edits_and_swaps() {
        assert_eq!(distance("ecoweb", "ecoweb", 2), Some(0));
        assert_eq!(distance("ecweb", "ecoweb", 2), Some(1));
        assert_eq!(distance("eocweb", "ecoweb", 2), Some(1));
        assert_eq!(distance("eth", "eth0", 2), Some(1));
        assert_eq!(distance("web", "ecoweb", 2), None);
        assert_eq!(distance("", "ab", 2), Some(2));
        assert_eq!(distance("abcdef", "uvwxyz", 2), None);
    }

    #[test]
    fn suggests_only_near_names() {
        let names = ["ecoweb", "ecoclient", "eth0", "veth1"];
        assert_eq!(closest("ecweb", names), vec!["ecoweb"]);
        assert_eq!(closest("eth1", names), vec!["eth0", "veth1"]);
        assert_eq!(closest("ech0", names), vec!["eth0"]);
        assert_eq!(closest("veth0", names), vec!["eth0", "veth1"]);
        assert!(closest("db", names).is_empty());
        // The word itself is no suggestion.
        assert!(closest("eth0", ["eth0"]).is_empty());
        // Short words: one edit only.
        assert!(closest("lo", ["eth0"]).is_empty());
    }

    #[test]
    fn says_it_in_words() {
        assert_eq!(
            did_you_mean("ecweb", ["ecoweb"]),
            " (did you mean 'ecoweb'?)"
        );
        assert_eq!(
            did_you_mean("veth0", ["eth0", "veth1"]),
            " (did you mean 'eth0' or 'veth1'?)"
        );
        assert_eq!(did_you_mean("db", ["ecoweb"]), "");
        assert_eq!(
            did_you_mean("x\x1b", ["x\x1b["]),
            " (did you mean 'x\\027['?)"
        );
    }
}
