//! Putting the terminal into the TUI's mode and always back: on exit, on error, and on
//! panic (ratatui's hook, chained in front of the existing one, never replacing it).

use std::io::stdout;

use crossterm::clipboard::CopyToClipboard;
use crossterm::cursor::Show;
use crossterm::execute;
use ratatui::DefaultTerminal;

/// Raw mode and the alternate screen; the panic hook restores them first.
pub fn init() -> std::io::Result<DefaultTerminal> {
    ratatui::try_init()
}

/// Undoes `init`, cursor included. Safe to call more than once.
pub fn restore() {
    ratatui::restore();
    let _ = execute!(stdout(), Show);
}

/// Sets the system clipboard through the terminal (OSC 52): works over SSH, and in tmux
/// with `set-clipboard on`.
pub fn copy_to_clipboard(text: &str) {
    let _ = execute!(stdout(), CopyToClipboard::to_clipboard_from(text));
}
