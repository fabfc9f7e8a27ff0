//! `ls-auth generate`: completions and man pages come from the parser's own definitions.

use std::process::{Command, Output};

fn ls_auth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ls-auth"))
        .env_remove("LS_AUTH_SECRET")
        .args(args)
        .output()
        .unwrap()
}

/// The subcommands `ls-auth --help` lists (without `help`).
fn subcommands() -> Vec<String> {
    let help = String::from_utf8(ls_auth(&["--help"]).stdout).unwrap();
    let listed: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help")
        .collect();
    assert!(
        listed.len() >= 8,
        "too few subcommands in --help: {listed:?}"
    );
    listed
}

#[test]
fn completions_for_every_shell_know_every_subcommand() {
    let subcommands = subcommands();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = ls_auth(&["generate", "completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8(out.stdout).unwrap();
        for sub in &subcommands {
            assert!(
                script.contains(sub.as_str()),
                "{shell} completion lacks {sub}"
            );
        }
    }
}

#[test]
fn bash_completion_states_are_spelled_one_way() {
    // clap-rs/clap#6421: the loop's `ls__auth__subcmd__x` must be what the case arms match.
    let script = String::from_utf8(ls_auth(&["generate", "completions", "bash"]).stdout).unwrap();
    assert!(!script.contains("ls__subcmd__auth"));
    assert!(script.contains("cmd=\"ls__auth__subcmd__verify\""));
    assert!(script.contains("\n        ls__auth__subcmd__verify)\n"));
}

#[test]
fn man_pages_one_per_subcommand() {
    let dir = std::env::temp_dir().join(format!("ls-auth-man-{}", std::process::id()));
    let out = ls_auth(&["generate", "man", "--out-dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let top = std::fs::read_to_string(dir.join("ls-auth.1")).unwrap();
    assert!(top.starts_with(".ie") && top.contains(".TH ls-auth 1"));
    for sub in subcommands() {
        let page = std::fs::read_to_string(dir.join(format!("ls-auth-{sub}.1")))
            .unwrap_or_else(|e| panic!("no page for {sub}: {e}"));
        assert!(page.contains(&format!("ls\\-auth\\-{}", sub.replace('-', "\\-"))));
        assert!(
            top.contains(&sub.replace('-', "\\-")),
            "ls-auth.1 does not list {sub}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn man_page_to_stdout_and_unwritable_directory() {
    let out = ls_auth(&["generate", "man"]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains(".SH NAME"));

    // A directory that cannot be made (its parent is a file): exit 1 with a message.
    let file = std::env::temp_dir().join(format!("ls-auth-man-file-{}", std::process::id()));
    std::fs::write(&file, b"not a directory").unwrap();
    let out = ls_auth(&[
        "generate",
        "man",
        "--out-dir",
        file.join("sub").to_str().unwrap(),
    ]);
    std::fs::remove_file(&file).unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("cannot write the man pages"));
}
