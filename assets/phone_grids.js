/* ShopSight: on a phone, a grid shows only the columns marked for it (the identifying column
   and the two most useful, marked by dashboard.components.phone_columns in each column's
   context); on a wider screen every column shows again. Grids without marks are left alone. */
(function () {
  "use strict";
  const PHONE = window.matchMedia("(max-width: 575.98px)");
  const KEY = "shopsightPhone";
  const watched = new WeakSet();

  function apply(api) {
    if (!api || (api.isDestroyed && api.isDestroyed())) {
      return;
    }
    const marked = (api.getColumns() || []).filter(function (column) {
      const context = column.getColDef().context;
      return context && KEY in context;
    });
    const others = marked
      .filter(function (column) { return !column.getColDef().context[KEY]; })
      .map(function (column) { return column.getColId(); });
    if (!others.length) {
      return;
    }
    api.setColumnsVisible(others, !PHONE.matches);
    fit(api);
  }

  function fit(api) {
    if (!PHONE.matches || (api.isDestroyed && api.isDestroyed())) {
      return;
    }
    // The few columns left share the phone's width instead of running off its edge.
    const limits = (api.getAllDisplayedColumns() || []).map(function (column) {
      return { key: column.getColId(), minWidth: 40 };
    });
    api.sizeColumnsToFit({ columnLimits: limits });
  }

  function attach(element) {
    if (watched.has(element) || !window.dash_ag_grid) {
      return;
    }
    watched.add(element);
    window.dash_ag_grid.getApiAsync(element.id).then(function (api) {
      apply(api);
      api.addEventListener("newColumnsLoaded", function () { apply(api); });
      api.addEventListener("gridSizeChanged", function () { fit(api); });
      PHONE.addEventListener("change", function () { apply(api); });
    }).catch(function () { /* not a grid after all, or gone */ });
  }

  function scan() {
    document.querySelectorAll(".ag-root-wrapper").forEach(function (root) {
      const element = root.closest("[id]");
      if (element) {
        attach(element);
      }
    });
  }

  let pending = false;
  new MutationObserver(function () {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () { pending = false; scan(); });
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
