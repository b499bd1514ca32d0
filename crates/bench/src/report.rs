//! The figures of a run: echoed to stderr as they are measured (a long run
//! shows progress), printed at the end as aligned `name  value` lines.

use std::collections::BTreeMap;

/// Figures in the order they were measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// `(name, printed value)` in measuring order.
    pub lines: Vec<(String, String)>,
    /// Numeric figures by name, for checks.
    pub values: BTreeMap<String, f64>,
    /// Per substring query: the query and whether every alternative returned baokan's hit set.
    pub agreement: Vec<(String, bool)>,
}

impl Report {
    /// Records a figure with its unit.
    pub fn figure(&mut self, name: &str, value: f64, unit: &str) {
        let printed = if value.abs() >= 100.0 { format!("{value:.0} {unit}") } else { format!("{value:.3} {unit}") };
        eprintln!("{name}: {printed}");
        self.lines.push((name.to_string(), printed));
        self.values.insert(name.to_string(), value);
    }

    /// Records a text line.
    pub fn note(&mut self, name: &str, text: impl Into<String>) {
        let text = text.into();
        eprintln!("{name}: {text}");
        self.lines.push((name.to_string(), text));
    }

    /// True when a figure was recorded.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let width = self.lines.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0);
        for (name, value) in &self.lines {
            let pad = width - name.chars().count();
            writeln!(f, "{name}{}  {value}", " ".repeat(pad))?;
        }
        Ok(())
    }
}
