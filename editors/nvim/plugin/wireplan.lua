-- Loaded when `editors/nvim` is on 'runtimepath'. Call
-- `require("wireplan").setup({ cmd = { "/path/to/wireplan", "lsp" } })`
-- yourself to change the command; this default runs `wireplan` from PATH.
if vim.g.wireplan_no_default_setup == nil and vim.g.loaded_wireplan == nil then
  vim.g.loaded_wireplan = true
  require("wireplan").setup()
end
