//! `baokan-ingest parse --json` as other tools use it: the JSON contract, the
//! encodings, nothing of the body lost, and clear failures.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn seeds() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

fn parse_json(files: &[PathBuf]) -> (bool, Vec<Value>) {
    let output = Command::new(env!("CARGO_BIN_EXE_baokan-ingest"))
        .arg("parse")
        .arg("--json")
        .args(files)
        .output()
        .expect("run baokan-ingest");
    let lines = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect();
    (output.status.success(), lines)
}

#[test]
fn prints_one_json_object_per_file_with_the_contract_fields() {
    let files = seeds();
    assert_eq!(files.len(), 5);
    let (ok, lines) = parse_json(&files);
    assert!(ok);
    assert_eq!(lines.len(), 5);
    for (line, file) in lines.iter().zip(&files) {
        assert_eq!(line["file"], file.to_string_lossy().as_ref());
        assert_eq!(line["encoding"], "UTF-8");
        let articles = line["articles"].as_array().unwrap();
        assert!(articles.len() >= 4, "{file:?} has several articles");
        for article in articles {
            assert!(article["kind"] == "article" || article["kind"] == "photo");
            for key in ["kicker", "title", "subtitle", "source", "dateline"] {
                assert!(article[key].is_null() || article[key].is_string(), "{key}");
            }
            for key in ["authors", "paragraphs", "jumps"] {
                assert!(article[key].is_array(), "{key}");
            }
        }
    }
}

/// Every long line of a page (body text, long headlines) is found, spaces
/// aside, inside some item's text fields.
#[test]
fn keeps_every_body_line_of_the_seeds() {
    let (_, lines) = parse_json(&seeds());
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    for (line, file) in lines.iter().zip(seeds()) {
        let mut texts: Vec<String> = Vec::new();
        for article in line["articles"].as_array().unwrap() {
            for key in ["kicker", "title", "subtitle"] {
                texts.extend(article[key].as_str().map(squeeze));
            }
            for key in ["paragraphs", "jumps"] {
                texts.extend(article[key].as_array().unwrap().iter().map(|p| squeeze(p.as_str().unwrap())));
            }
            texts.extend(
                article["sections"].as_array().unwrap().iter().map(|s| squeeze(s["heading"].as_str().unwrap())),
            );
        }
        let raw = std::fs::read_to_string(&file).unwrap();
        for raw_line in raw.lines().filter(|l| l.chars().count() > 20) {
            let undoubled = baokan_ingest::text::undo_doubling(raw_line).unwrap_or_else(|| raw_line.to_string());
            let squeezed = squeeze(&undoubled).replace("**", "");
            let wanted = squeezed.trim_start_matches('#');
            let wanted = wanted.split("（下转").next().unwrap_or(wanted);
            // A signature (`…。（梁涛）`) moves to the authors.
            let wanted = match wanted.rfind('（') {
                Some(open) if wanted.ends_with('）') && wanted.len() - open <= 40 => &wanted[..open],
                _ => wanted,
            };
            // A credit printed after the last sentence (`…跟党走。张昊宇 摄`) is split off.
            let wanted = match wanted.rfind('。') {
                Some(end) if wanted.len() - end <= 24 => &wanted[..end + '。'.len_utf8()],
                _ => wanted,
            };
            assert!(
                texts.iter().any(|t| t.contains(wanted)),
                "{file:?}: line {raw_line:?} is missing from the parsed articles"
            );
        }
    }
}

#[test]
fn a_gb18030_copy_parses_to_the_same_articles() {
    let dir = tempfile::tempdir().unwrap();
    let seed = &seeds()[0];
    let text = std::fs::read_to_string(seed).unwrap();
    let (bytes, _, had_errors) = encoding_rs::GB18030.encode(&text);
    assert!(!had_errors);
    let copy = dir.path().join("gb.txt");
    std::fs::write(&copy, &bytes).unwrap();
    let (ok, lines) = parse_json(&[seed.clone(), copy]);
    assert!(ok);
    assert_eq!(lines[1]["encoding"], "gb18030");
    assert_eq!(lines[0]["articles"], lines[1]["articles"]);
}

#[test]
fn empty_and_binary_files_fail_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let binary = dir.path().join("image.txt");
    std::fs::write(&binary, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let (ok, lines) = parse_json(&[empty, binary, seeds()[1].clone()]);
    assert!(!ok, "a failed file makes the exit status non-zero");
    assert_eq!(lines[0]["error"], "empty file: no text to parse");
    assert!(lines[1]["error"].as_str().unwrap().starts_with("binary file"));
    assert!(lines[2]["articles"].as_array().is_some_and(|a| !a.is_empty()));
}

#[test]
fn utf16_and_bom_copies_of_every_seed_parse_to_the_same_articles() {
    let dir = tempfile::tempdir().unwrap();
    for seed in seeds() {
        let text = std::fs::read_to_string(&seed).unwrap();
        let mut utf16le = vec![0xff, 0xfe];
        utf16le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let mut utf16be = vec![0xfe, 0xff];
        utf16be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(text.as_bytes());
        let copies = [("le.txt", utf16le, "UTF-16LE"), ("be.txt", utf16be, "UTF-16BE"), ("bom.txt", bom, "UTF-8")];
        let mut files = vec![seed.clone()];
        for (name, bytes, _) in &copies {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            files.push(path);
        }
        let (ok, lines) = parse_json(&files);
        assert!(ok);
        for (line, (_, _, encoding)) in lines[1..].iter().zip(&copies) {
            assert_eq!(line["encoding"], *encoding);
            assert_eq!(line["articles"], lines[0]["articles"], "{seed:?} as {encoding}");
        }
    }
}

#[test]
fn undecodable_bytes_are_rejected_with_their_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.txt");
    let mut bytes = "本报讯 正文".as_bytes().to_vec();
    bytes.extend_from_slice(&[0xe4, 0xb8]);
    bytes.extend_from_slice("继续。".as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let (ok, lines) = parse_json(&[path]);
    assert!(!ok);
    let error = lines[0]["error"].as_str().unwrap();
    assert!(error.contains("byte offset 16"), "{error}");
}
