// The wireplan extension: starts `wireplan lsp` and hands it the spec files
// (language `wireplan`: `wireplan.kdl` and other `.kdl` files). Everything
// else (diagnostics, hover, definition, references, rename, completion,
// quick fixes, formatting, symbols) comes from the server.
// @ts-check
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  const command = vscode.workspace.getConfiguration("wireplan").get("path") || "wireplan";
  const server = { command: String(command), args: ["lsp"] };
  client = new LanguageClient(
    "wireplan",
    "wireplan",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "wireplan" }] },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
