// Network diagram (drawn once frames arrive).

export function mount(root, ctx) {
  root.textContent = "";
  return { update() {} };
}
