//! AWS's partitions and their regions (generated from botocore's `partitions.json` by
//! `src/regions/generate.py` into `regions.txt`), for ValidatePolicy's ARN and region
//! checks.

const DATA: &str = include_str!("regions.txt");

fn partitions() -> impl Iterator<Item = (&'static str, &'static str)> {
    DATA.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
}

/// Whether `partition` is one of AWS's partitions (`aws`, `aws-cn`, `aws-us-gov`, ...).
pub fn is_partition(partition: &str) -> bool {
    partitions().any(|(p, _)| p == partition)
}

/// Whether `region` is a region: of `partition` when given, else of any partition.
pub fn is_region(partition: Option<&str>, region: &str) -> bool {
    partitions()
        .filter(|(p, _)| partition.is_none_or(|want| want == *p))
        .any(|(_, regions)| regions.split(' ').any(|r| r == region))
}

/// The regions of a partition, or of all partitions.
pub fn regions(partition: Option<&str>) -> Vec<&'static str> {
    partitions()
        .filter(|(p, _)| partition.is_none_or(|want| want == *p))
        .flat_map(|(_, regions)| regions.split(' '))
        .collect()
}

/// Where the table comes from (package and version), from the data file's header.
pub fn source() -> &'static str {
    crate::actions::data_source(DATA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_and_their_regions() {
        assert!(source().starts_with("botocore "));
        assert!(is_partition("aws") && is_partition("aws-us-gov") && !is_partition("aws-eu"));
        assert!(is_region(Some("aws"), "eu-west-1"));
        assert!(is_region(None, "cn-north-1"));
        assert!(!is_region(Some("aws"), "cn-north-1"));
        assert!(!is_region(None, "us-east-7"));
        assert!(!is_region(None, "aws-global"));
        assert!(regions(Some("aws-cn")).contains(&"cn-northwest-1"));
    }
}
