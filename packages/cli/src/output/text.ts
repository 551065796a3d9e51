/**
 * Text the server or a workload wrote (messages, errors, names) is untrusted: printed raw, an ESC or
 * C1 sequence in it could rewrite the screen, set the clipboard (OSC 52) or hide lines. Everything
 * printed from an answer goes through here; only the CLI's own colours are escapes.
 */

/** C0 controls, DEL and C1 controls, in runs. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]+/g;
/** The same but the line feed, which a multi-line field keeps. */
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]+/g;

/** One line of untrusted text: every run of control characters (newlines included) becomes one space. */
export function safeText(value: string): string {
  return value.replace(CONTROLS, ' ');
}

/** Untrusted text that may span lines: line breaks stay (`\r\n` and `\r` as `\n`), every other run of control characters becomes one space. */
export function safeLines(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(CONTROLS_BUT_NEWLINE, ' ');
}
