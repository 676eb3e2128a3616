//! Shell completions and the manual page, as a user installs them: the bash script is
//! sourced in a real bash and asked to complete, the page is rendered by groff.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

/// Every subcommand, as clap defines them: a new command is covered without editing this.
fn commands() -> Vec<String> {
    let cli = <storectl::cli::Cli as clap::CommandFactory>::command();
    let names: Vec<String> = cli
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    assert!(names.len() >= 20, "{names:?}");
    names
}

fn storectl(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(args)
        .env("HOME", std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// What bash's completion offers for the words typed so far.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = format!(
        "source <({bin} completions bash)\nCOMP_WORDS=({words})\nCOMP_CWORD={cword}\n_storectl storectl '{cur}' '{prev}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        bin = env!("CARGO_BIN_EXE_storectl"),
        words = words.join(" "),
        cword = words.len() - 1,
        cur = words[words.len() - 1],
        prev = words[words.len() - 2],
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_commands_flags_and_values() {
    assert_eq!(bash_complete(&["storectl", "cr"]), ["create"]);
    let offered = bash_complete(&["storectl", ""]);
    for command in commands() {
        assert!(offered.contains(&command), "{command} in {offered:?}");
    }
    assert_eq!(
        bash_complete(&["storectl", "serve", "--token-f"]),
        ["--token-file"]
    );
    assert_eq!(bash_complete(&["storectl", "list", "-o", "js"]), ["json"]);
    assert_eq!(bash_complete(&["storectl", "completions", "f"]), ["fish"]);
}

#[test]
fn zsh_and_fish_scripts_name_every_command() {
    let zsh = storectl(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef storectl"), "{}", &zsh[..40]);
    let fish = storectl(&["completions", "fish"]);
    for command in commands() {
        assert!(zsh.contains(&format!("'{command}:")), "zsh lacks {command}");
        assert!(
            fish.contains(&format!("-a \"{command}\"")),
            "fish lacks {command}"
        );
    }
}

#[test]
fn the_man_page_renders_cleanly_and_documents_every_command() {
    let page = storectl(&["man"]);
    assert!(page.contains(".TH storectl 1"));
    let mut groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff is needed (scripts/test installs groff-base)");
    std::io::Write::write_all(&mut groff.stdin.take().unwrap(), page.as_bytes()).unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warnings");
    let text = String::from_utf8_lossy(&out.stdout).replace("\u{2010}\n", "");
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("STORECTL "))
        .collect();
    for command in commands() {
        let heading = format!("STORECTL {}", command.to_uppercase());
        assert!(
            headings.contains(&heading.as_str()),
            "no section for {command} in {headings:?}"
        );
    }
    assert!(
        text.contains("--token-file"),
        "serve's options are in the page"
    );
}
