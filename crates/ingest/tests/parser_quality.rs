//! The parser against every hand-annotated page in `fixtures/parser`: the
//! targets of the parser issue (segmentation F1, title and author accuracy
//! of at least 0.95) must hold, so a change that breaks a convention fails.

use std::path::Path;

use baokan_ingest::evaluate::{evaluate_folder, Score};

#[test]
fn meets_the_quality_targets_on_the_annotated_pages() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/parser");
    let results = evaluate_folder(&folder).expect("annotations readable");
    assert!(results.len() >= 5, "the five seeds are annotated");
    let mut total = Score::default();
    for (file, score, misses) in &results {
        eprintln!("{}: {score}", file.display());
        for miss in misses {
            eprintln!("    item {}: {}", miss.gold_index, miss.what);
        }
        total.add(score);
    }
    eprintln!("TOTAL: {total}");
    assert!(total.f1() >= 0.95, "segmentation F1 {:.3}", total.f1());
    assert!(total.title_accuracy() >= 0.95, "title accuracy {:.3}", total.title_accuracy());
    assert!(total.author_accuracy() >= 0.95, "author accuracy {:.3}", total.author_accuracy());
}
