// Starts `tagc lsp` for `.tags` files. VS Code 1.82 or later (no build step: plain CommonJS).
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('tagc').get('path', 'tagc');
  const server = { command, args: ['lsp'] };
  client = new LanguageClient(
    'tagc',
    'tagc',
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: 'file', language: 'tags' },
        { scheme: 'untitled', language: 'tags' },
      ],
    },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
