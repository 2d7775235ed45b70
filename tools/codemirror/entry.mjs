// The code cells' editor (static/js/cells.js imports this bundle): CodeMirror 6 with
// Python, highlighted through classes (tok-keyword, tok-string ...) that cells.css
// colours for light and dark. Ctrl/Cmd-Enter runs; Tab indents, and Escape then Tab
// leaves the editor (CodeMirror's own rule for keyboard users).
//
// options.root is the shadow root the editor lives in: there CodeMirror's own styles
// go into a constructed stylesheet (adoptedStyleSheets), which the site's strict
// Content-Security-Policy allows; in the document they would be a <style> element,
// which it refuses.
import { basicSetup } from "codemirror";
import { indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { syntaxHighlighting } from "@codemirror/language";
import { EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";

export function createEditor(parent, options) {
  const view = new EditorView({
    parent,
    root: options.root,
    state: EditorState.create({
      doc: options.doc,
      extensions: [
        Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => { options.onRun(); return true; } }])),
        basicSetup,
        keymap.of([indentWithTab]),
        python(),
        syntaxHighlighting(classHighlighter),
        EditorView.contentAttributes.of({ "aria-label": options.label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) { options.onChange(update.state.doc.toString()); }
        }),
      ],
    }),
  });
  return {
    view,
    value: () => view.state.doc.toString(),
    setValue(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    focus: () => view.focus(),
  };
}
