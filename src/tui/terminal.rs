//! Putting the terminal into the TUI's mode and always back: on exit, on error, and on
//! panic (ratatui's hook, chained in front of the existing one, never replacing it).

use std::io::stdout;

use crossterm::clipboard::CopyToClipboard;
use crossterm::cursor::Show;
use crossterm::event::KeyEvent;
use crossterm::execute;
use ratatui::DefaultTerminal;

/// Raw mode and the alternate screen; the panic hook restores them first.
pub fn init() -> std::io::Result<DefaultTerminal> {
    let terminal = ratatui::try_init()?;
    // ratatui's hook leaves raw mode and the alternate screen, then runs the hook before
    // it; the cursor it leaves hidden (xterm keeps its visibility across screens), so
    // this one shows it first.
    let restore_then_report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), Show);
        restore_then_report(info);
    }));
    Ok(terminal)
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

/// Debug builds only: panics on the key `STORECTL_DEBUG_PANIC_KEY` names (one character),
/// so that a test sees the terminal restored after a real panic in the running UI.
#[cfg(debug_assertions)]
pub fn panic_if_asked(key: &KeyEvent) {
    let asked = std::env::var("STORECTL_DEBUG_PANIC_KEY").ok();
    if let (Some(asked), crossterm::event::KeyCode::Char(pressed)) = (asked, key.code)
        && asked.chars().eq([pressed])
    {
        panic!("deliberate panic: {pressed} pressed with STORECTL_DEBUG_PANIC_KEY set");
    }
}

#[cfg(not(debug_assertions))]
pub fn panic_if_asked(_: &KeyEvent) {}
