/* The application form: checks as fields are left, mortgagor rows, the debtor, the required-materials
   checklist, and no submission while a check fails or an upload is still running. */
(function () {
  "use strict";
  var checks = window.GatewayChecks;
  var DATE_FORMAT = "请按“年-月-日”填写有效日期，如 2026-12-01";

  function message(input) {
    var kind = input.getAttribute("data-validate");
    var value = input.value.trim();
    if (kind === "id-number") {
      var type = input.closest("[data-party-row]").querySelector("[data-id-type]").value;
      return checks.idNumber(type, value);
    }
    if (kind === "unit-code") { return checks.unitCode(value); }
    if (kind === "amount") { return checks.amount(value); }
    if (kind === "required") { return value ? null : "请填写此项"; }
    if (kind === "name") { return value ? null : "请填写姓名（名称）"; }
    if (kind === "date") { return checks.isoDate(value) ? null : DATE_FORMAT; }
    if (kind === "date-end") {
      if (!checks.isoDate(value)) { return DATE_FORMAT; }
      var start = document.getElementById("debt_start");
      return start && checks.isoDate(start.value) && value <= start.value ? "债务履行期限止日须晚于起日" : null;
    }
    return null;
  }

  function show(input, text) {
    var id = input.id + "-error";
    var box = document.getElementById(id);
    if (!text) {
      if (box) { box.remove(); }
      input.removeAttribute("aria-invalid");
      return;
    }
    if (!box) {
      box = document.createElement("p");
      box.className = "field-error";
      box.id = id;
      input.closest(".field").appendChild(box);
    }
    box.textContent = text;
    input.setAttribute("aria-invalid", "true");
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(id) < 0) { described.push(id); input.setAttribute("aria-describedby", described.join(" ")); }
  }

  function visible(input) { return !input.closest("[hidden], .is-hidden"); }

  function skipped(input) {
    // A blank mortgagor row after the first is ignored, as the server ignores it.
    var row = input.closest("[data-party-list] [data-party-row]");
    if (!row || row === row.parentNode.querySelector("[data-party-row]")) { return false; }
    return Array.prototype.every.call(row.querySelectorAll("input[type=text]"), function (i) { return !i.value.trim(); });
  }

  function checkField(input) {
    if (!visible(input) || skipped(input)) { show(input, null); return true; }
    var text = message(input);
    show(input, text);
    return !text;
  }

  function renumberParties(list) {
    list.querySelectorAll("[data-party-row]").forEach(function (row, index) {
      row.querySelectorAll("input, select").forEach(function (field) {
        var part = field.name.replace(/^mortgagor-\d+-/, "");
        field.name = field.id = "mortgagor-" + index + "-" + part;
      });
      row.querySelectorAll("label").forEach(function (label) {
        var part = label.htmlFor.replace(/^mortgagor-\d+-/, "");
        label.htmlFor = "mortgagor-" + index + "-" + part;
        label.textContent = label.textContent.replace(/^第\d+位抵押人/, "第" + (index + 1) + "位抵押人");
      });
      row.querySelectorAll(".field-error").forEach(function (error) { error.remove(); });
    });
  }

  function setUpParties(form) {
    var list = form.querySelector("[data-party-list]");
    var add = form.querySelector("[data-add-party]");
    if (!list || !add) { return; }
    add.addEventListener("click", function () {
      var rows = list.querySelectorAll("[data-party-row]");
      if (rows.length >= +list.getAttribute("data-max")) { return; }
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("input").forEach(function (i) { i.value = ""; i.removeAttribute("aria-invalid"); });
      copy.querySelector("select").value = "RESIDENT_ID";
      list.appendChild(copy);
      renumberParties(list);
      copy.querySelector("input").focus();
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-party]");
      if (!button || list.querySelectorAll("[data-party-row]").length < 2) { return; }
      button.closest("[data-party-row]").remove();
      renumberParties(list);
      add.focus();
    });
  }

  function setUpDebtor(form) {
    var same = form.querySelector("[data-debtor-same]");
    var fields = form.querySelector("[data-debtor-fields]");
    if (!same || !fields) { return; }
    var sync = function () { fields.classList.toggle("is-hidden", same.checked); };
    same.addEventListener("change", sync);
    sync();
  }

  function catalogue() {
    var data = document.getElementById("catalogue-data");
    return data ? JSON.parse(data.textContent) : {};
  }

  function updateChecklist(form) {
    var list = form.querySelector("[data-required-list]");
    if (!list) { return; }
    var entry = catalogue()[form.getAttribute("data-registration-type")];
    var reason = form.querySelector("[data-discharge-reason]");
    var codes = entry ? entry.required[reason ? reason.value : ""] || [] : [];
    var present = Array.prototype.map.call(form.querySelectorAll("[data-material-type]"), function (s) { return s.value; });
    var names = {};
    (entry ? entry.choices : []).forEach(function (c) { names[c.code] = c.name; });
    list.innerHTML = "";
    var item = function (code, missingText, soft) {
      var entry = document.createElement("li");
      entry.textContent = (names[code] || code) + (present.indexOf(code) >= 0 ? "（已上传）" : missingText);
      entry.className = present.indexOf(code) >= 0 ? "is-present" : soft ? "is-soft" : "";
      list.appendChild(entry);
    };
    codes.forEach(function (code) { item(code, "（未上传）", false); });
    (entry ? entry.if_not_on_file : []).forEach(function (code) { item(code, "（此前未提交过的须上传）", true); });
    return codes.filter(function (code) { return present.indexOf(code) < 0; }).map(function (c) { return names[c] || c; });
  }

  function summarise(form, problems) {
    var box = form.parentNode.querySelector("[data-client-summary]");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert alert-error";
      box.setAttribute("role", "alert");
      box.setAttribute("tabindex", "-1");
      box.setAttribute("data-client-summary", "");
      form.parentNode.insertBefore(box, form);
    }
    box.innerHTML = "<h2></h2><ul></ul>";
    box.querySelector("h2").textContent = "表单中有 " + problems.length + " 处需要修改";
    problems.forEach(function (p) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + p.id;
      link.textContent = p.text;
      item.appendChild(link);
      box.querySelector("ul").appendChild(item);
    });
    box.focus();
  }

  function setUpForm(form) {
    form.addEventListener("focusout", function (event) {
      if (event.target.hasAttribute("data-validate") && event.target.value.trim()) { checkField(event.target); }
    });
    form.addEventListener("change", function (event) {
      if (event.target.hasAttribute("data-id-type")) {
        var number = event.target.closest("[data-party-row]").querySelector("[data-validate]");
        if (number.value.trim()) { checkField(number); }
      }
      updateChecklist(form);
    });
    form.addEventListener("materials-changed", function () { updateChecklist(form); });
    form.addEventListener("submit", function (event) {
      var problems = [];
      form.querySelectorAll("[data-validate]").forEach(function (input) {
        if (!checkField(input)) {
          var label = document.querySelector("label[for='" + input.id + "']");
          var text = document.getElementById(input.id + "-error").textContent;
          problems.push({ id: input.id, text: (label ? label.textContent + "：" : "") + text });
        }
      });
      var missing = updateChecklist(form) || [];
      if (missing.length) { problems.push({ id: "materials", text: "缺少必需材料：" + missing.join("、") }); }
      if (form.querySelector("[data-upload-row]:not([data-done])")) {
        problems.push({ id: "materials", text: "还有文件正在上传或上传失败，请等待完成或删除后重试" });
      }
      if (problems.length) { event.preventDefault(); summarise(form, problems); }
    });
    setUpParties(form);
    setUpDebtor(form);
    updateChecklist(form);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-application-form]").forEach(setUpForm);
  });
})();
