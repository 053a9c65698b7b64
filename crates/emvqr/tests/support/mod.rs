//! The golden payloads in tests/golden/, by name.

#![allow(dead_code)]

pub const MPM: &str = include_str!("../golden/mpm.txt");
pub const CPM: &str = include_str!("../golden/cpm.txt");

/// Every (name, payload) of a golden table, skipping comments and blank lines.
pub fn entries(table: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    table
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('\t').expect("a golden line is NAME<TAB>PAYLOAD"))
}

pub fn mpm(name: &str) -> &'static str {
    entries(MPM).find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no golden MPM payload {name}")).1
}

pub fn cpm(name: &str) -> &'static str {
    entries(CPM).find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no golden CPM code {name}")).1
}
