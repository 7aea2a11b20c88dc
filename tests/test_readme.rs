//! The README renders as written: every code fence stands alone on its line and is closed, so
//! no section of prose renders as code.

#[test]
fn every_code_fence_of_the_readme_is_alone_on_its_line_and_closed() {
    let readme = include_str!("../README.md");
    let mut open: Option<usize> = None;
    for (index, line) in readme.lines().enumerate() {
        let number = index + 1;
        let Some(at) = line.find("```") else {
            continue;
        };
        let (before, fence) = line.split_at(at);
        assert!(
            before.trim().is_empty(),
            "README.md:{number}: text before a code fence: {line}"
        );
        let info = fence.trim_start_matches('`');
        match open {
            None => {
                assert!(
                    !info.contains(' '),
                    "README.md:{number}: a fence's info string is one word: {line}"
                );
                open = Some(number);
            }
            Some(_) => {
                assert!(
                    info.trim().is_empty(),
                    "README.md:{number}: text after a closing fence: {line}"
                );
                open = None;
            }
        }
    }
    assert_eq!(
        open, None,
        "README.md: the fence opened here is never closed"
    );
}
