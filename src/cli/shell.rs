//! `storectl completions bash|zsh|fish` and `storectl man`: shell completions and the
//! manual page, generated from the command-line definitions themselves.

use std::io::Write;

use clap::CommandFactory;

use super::{Cli, ShellArg};

pub fn completions(shell: ShellArg) -> anyhow::Result<()> {
    let shell = match shell {
        ShellArg::Bash => clap_complete::Shell::Bash,
        ShellArg::Zsh => clap_complete::Shell::Zsh,
        ShellArg::Fish => clap_complete::Shell::Fish,
    };
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut Cli::command(), "storectl", &mut out);
    out.flush()?;
    Ok(())
}

/// storectl(1): the main page, then one section per command with its own options.
pub fn man() -> anyhow::Result<()> {
    let command = Cli::command();
    let mut page = Vec::new();
    let main = clap_mangen::Man::new(command.clone());
    main.render_title(&mut page)?;
    main.render_name_section(&mut page)?;
    main.render_synopsis_section(&mut page)?;
    main.render_description_section(&mut page)?;
    main.render_options_section(&mut page)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let sub = sub.clone().bin_name(format!("storectl {name}"));
        writeln!(page, ".SH \"STORECTL {}\"", name.to_uppercase())?;
        let man = clap_mangen::Man::new(sub);
        // Each command's synopsis, description and options, under its own heading.
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section)?;
        man.render_description_section(&mut section)?;
        man.render_options_section(&mut section)?;
        page.extend(demote(&String::from_utf8_lossy(&section)).into_bytes());
    }
    main.render_version_section(&mut page)?;
    std::io::stdout().write_all(&page)?;
    Ok(())
}

/// A command's sections become sub-sections of its heading (`.SH` -> `.SS`).
fn demote(roff: &str) -> String {
    roff.lines()
        .map(|line| match line.strip_prefix(".SH ") {
            Some(title) => format!(".SS {title}\n"),
            None => format!("{line}\n"),
        })
        .collect()
}
