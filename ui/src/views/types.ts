export interface View {
  el: HTMLElement;
  /** Called each time the view becomes visible. */
  show(): void;
  /** Called when another view is shown. */
  hide(): void;
}
