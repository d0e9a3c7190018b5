-- wireplan for Neovim: starts `wireplan lsp` for `wireplan.kdl` and for
-- every `*.kdl` file in a folder that has one (or below such a folder), and
-- attaches each buffer of one spec to one server.
--
-- Works on Neovim 0.7 and later: it uses `vim.lsp.start_client` and
-- `vim.lsp.buf_attach_client` (0.7 has no `vim.lsp.start`).
--
--   require("wireplan").setup({ cmd = { "wireplan", "lsp" } })

local M = {}

local defaults = {
  -- The command that runs the server.
  cmd = { "wireplan", "lsp" },
}

-- One client per spec root (the folder of its `wireplan.kdl`).
local clients = {}

--- The folder of the `wireplan.kdl` at or above the folder of `path`, or nil.
function M.root_of(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local found = vim.fn.findfile("wireplan.kdl", dir .. ";")
  if found == "" then
    return nil
  end
  return vim.fn.fnamemodify(found, ":p:h")
end

local function attach(opts, bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  local root = M.root_of(path) or vim.fn.fnamemodify(path, ":p:h")
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client({
      name = "wireplan",
      cmd = opts.cmd,
      root_dir = root,
      on_exit = function()
        clients[root] = nil
      end,
    })
    if id == nil then
      vim.notify("wireplan: cannot start " .. table.concat(opts.cmd, " "), vim.log.levels.ERROR)
      return
    end
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

function M.setup(user)
  vim.g.loaded_wireplan = true
  local opts = vim.tbl_deep_extend("force", defaults, user or {})
  local group = vim.api.nvim_create_augroup("wireplan", { clear = true })
  -- `wireplan.kdl` itself, and any `.kdl` file that a spec can include.
  vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
    group = group,
    pattern = "*.kdl",
    callback = function(args)
      local name = vim.api.nvim_buf_get_name(args.buf)
      if vim.fn.fnamemodify(name, ":t") == "wireplan.kdl" or M.root_of(name) ~= nil then
        vim.bo[args.buf].filetype = "wireplan"
      end
    end,
  })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "wireplan",
    callback = function(args)
      attach(opts, args.buf)
    end,
  })
end

return M
