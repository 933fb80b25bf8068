"use strict";
// The strategy editor. On the add page: when the jurisdiction changes, ask the admin for the
// next free strategy ID and show it as the ID field's placeholder (left empty, the field takes
// that ID on save). On every page: keep the "ticked" counts of the checkbox groups up to date.
(function () {
  function proposeNextId(idField, jurisdiction) {
    const message = document.createElement("span");
    message.className = "next-id-message";
    message.setAttribute("aria-live", "polite");
    idField.after(message);

    async function update() {
      const code = jurisdiction.value;
      message.textContent = "";
      if (!code) {
        idField.placeholder = "";
        return;
      }
      const url = new URL(idField.dataset.nextIdUrl, window.location.href);
      url.searchParams.set("jurisdiction", code);
      try {
        const response = await fetch(url, {
          credentials: "same-origin",
          headers: {Accept: "application/json"},
        });
        const body = await response.json();
        if (response.ok) {
          idField.placeholder = body.strategy_id;
        } else {
          idField.placeholder = "";
          message.textContent = body.error || "";
        }
      } catch (error) {
        // The proposal is a convenience: the service assigns the ID on save regardless.
        idField.placeholder = "";
      }
    }

    // The autocomplete (select2) reports changes through jQuery, which also sees native ones.
    if (window.django && window.django.jQuery) {
      window.django.jQuery(jurisdiction).on("change", update);
    } else {
      jurisdiction.addEventListener("change", update);
    }
    update();
  }

  function keepTickedCounts(container) {
    container.addEventListener("change", function () {
      container.querySelectorAll("details").forEach(function (group) {
        const count = group.querySelector(":scope > summary .ticked-count");
        if (count) {
          count.textContent = group.querySelectorAll("input[type=checkbox]:checked").length;
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const idField = document.querySelector("input[name=strategy_id][data-next-id-url]");
    const jurisdiction = document.querySelector("select[name=jurisdiction]");
    if (idField && jurisdiction) {
      proposeNextId(idField, jurisdiction);
    }
    document.querySelectorAll(".checkbox-groups, .issue-tree").forEach(keepTickedCounts);
  });
})();
