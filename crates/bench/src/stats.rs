//! Percentiles and the trec_eval measures.

use std::collections::HashSet;
use std::time::Duration;

/// The `p`-th percentile (0–100) by nearest rank; 0 for no samples.
pub fn percentile(samples: &[Duration], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * ms.len() as f64).ceil() as usize;
    ms[rank.clamp(1, ms.len()) - 1]
}

/// Average precision of a ranking (trec_eval's `map` for one query, top 1000).
pub fn average_precision(ranked: &[String], relevant: &HashSet<String>) -> f64 {
    if relevant.is_empty() {
        return 0.0;
    }
    let mut found = 0usize;
    let mut sum = 0.0;
    for (i, key) in ranked.iter().take(1000).enumerate() {
        if relevant.contains(key) {
            found += 1;
            sum += found as f64 / (i + 1) as f64;
        }
    }
    sum / relevant.len() as f64
}

/// nDCG@k with binary gains (trec_eval's `ndcg_cut_10` for k = 10).
pub fn ndcg(ranked: &[String], relevant: &HashSet<String>, k: usize) -> f64 {
    let gain = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 =
        ranked.iter().take(k).enumerate().filter(|(_, key)| relevant.contains(*key)).map(|(i, _)| gain(i)).sum();
    let ideal: f64 = (0..relevant.len().min(k)).map(gain).sum();
    if ideal == 0.0 { 0.0 } else { dcg / ideal }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let xs: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&xs, 50.0), 50.0);
        assert_eq!(percentile(&xs, 99.0), 99.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
        assert_eq!(percentile(&xs[..1], 99.0), 1.0);
    }

    #[test]
    fn trec_eval_measures() {
        let rel: HashSet<String> = keys(&["a", "c", "z"]).into_iter().collect();
        // Relevant at ranks 1 and 3; z never retrieved: (1/1 + 2/3) / 3.
        let run = keys(&["a", "b", "c"]);
        assert!((average_precision(&run, &rel) - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-9);
        let ideal = 1.0 + 1.0 / 3f64.log2() + 0.5;
        let dcg = 1.0 + 0.5;
        assert!((ndcg(&run, &rel, 10) - dcg / ideal).abs() < 1e-9);
        assert_eq!(ndcg(&keys(&["a", "c", "z"]), &rel, 10), 1.0);
        assert_eq!(average_precision(&run, &HashSet::new()), 0.0);
    }
}
