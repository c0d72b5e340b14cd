/* Material uploads: drop or choose several files; each is sent on its own to /clerk/materials with
   its progress shown, and the form keeps only the SHA-256 the server answers with, the file name and
   the material type chosen from the catalogue. */
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function renumber(uploader) {
    uploader.querySelectorAll("[data-upload-row]").forEach(function (row, index) {
      row.querySelectorAll("[name^=material-]").forEach(function (field) {
        field.name = field.name.replace(/^material-\d+-/, "material-" + index + "-");
      });
    });
    uploader.querySelector("[data-upload-list]").hidden = !uploader.querySelector("[data-upload-row]");
    uploader.dispatchEvent(new CustomEvent("materials-changed", { bubbles: true }));
  }

  // Words in a file's name that say which material it is; the clerk confirms or changes the guess.
  var HINTS = [
    ["ID_DOCUMENT", /身份|ID/i], ["MORTGAGE_CONTRACT", /抵押合同|抵押/], ["LOAN_CONTRACT", /借款|贷款|主债权/],
    ["MARRIAGE_CERTIFICATE", /婚姻|结婚/], ["POWER_OF_ATTORNEY", /委托/], ["PURCHASE_CONTRACT", /预售|购房/],
    ["COURT_DOCUMENT", /判决|裁定|法院|仲裁/], ["DISCHARGE_EVIDENCE", /结清|清偿|注销/]
  ];

  function guessType(uploader, name, select) {
    var options = Array.prototype.map.call(select.options, function (o) { return o.value; });
    var hinted = HINTS.filter(function (h) { return options.indexOf(h[0]) >= 0 && h[1].test(name); })[0];
    if (hinted) { select.value = hinted[0]; return; }
    var taken = Array.prototype.filter.call(uploader.querySelectorAll("[data-material-type]"), function (s) {
      return s !== select;
    }).map(function (s) { return s.value; });
    select.value = options.filter(function (code) { return taken.indexOf(code) < 0; })[0] || options[0];
  }

  function newRow(uploader, file, rowId) {
    var row = document.createElement("tr");
    row.setAttribute("data-upload-row", "");
    row.innerHTML =
      "<td><span data-name></span></td>" +
      "<td><label class='visually-hidden'></label><select data-material-type></select></td>" +
      "<td><progress max='100' value='0'></progress> <span class='upload-state'>等待上传</span></td>" +
      "<td><button type='button' class='button button-small button-quiet' data-remove>删除</button></td>";
    row.querySelector("[data-name]").textContent = file.name;
    var select = row.querySelector("select");
    select.id = rowId;
    select.innerHTML = uploader.querySelector("[data-choice-template]").innerHTML;
    var label = row.querySelector("label");
    label.htmlFor = rowId;
    label.textContent = file.name + " 的材料类型";
    uploader.querySelector("[data-upload-rows]").appendChild(row);
    guessType(uploader, file.name, select);
    return row;
  }

  function finish(uploader, row, file, answer) {
    var cell = row.querySelector("td");
    [["name", answer.file_name || file.name], ["sha256", answer.sha256]].forEach(function (pair) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "material-0-" + pair[0];
      hidden.value = pair[1];
      cell.appendChild(hidden);
    });
    row.querySelector("select").name = "material-0-type";
    row.setAttribute("data-done", "1");
    row.querySelector(".upload-state").textContent = "已上传";
    row.querySelector(".upload-state").className = "upload-state ok";
    renumber(uploader);
  }

  function upload(uploader, file, status) {
    var row = newRow(uploader, file, uploader.id + "-type-" + Date.now() + Math.floor(Math.random() * 1000));
    var bar = row.querySelector("progress");
    var state = row.querySelector(".upload-state");
    renumber(uploader);
    if (file.size > +uploader.getAttribute("data-max-bytes")) {
      state.textContent = "文件过大，未上传";
      state.className = "upload-state bad";
      return;
    }
    var request = new XMLHttpRequest();
    request.open("POST", "/clerk/materials");
    request.setRequestHeader("X-CSRF-Token", csrfToken());
    request.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        bar.value = Math.round(event.loaded / event.total * 100);
        state.textContent = "上传中 " + bar.value + "%";
      }
    });
    request.addEventListener("load", function () {
      var answer = {};
      try { answer = JSON.parse(request.responseText); } catch (ignored) { answer = {}; }
      if (request.status === 201) {
        bar.value = 100;
        finish(uploader, row, file, answer);
        status.textContent = file.name + " 已上传";
      } else {
        state.textContent = "上传失败：" + (answer.message || "请重试");
        state.className = "upload-state bad";
        status.textContent = file.name + " 上传失败";
      }
    });
    request.addEventListener("error", function () {
      state.textContent = "上传失败：网络错误";
      state.className = "upload-state bad";
    });
    state.textContent = "上传中";
    request.send(file);
  }

  function setUp(uploader) {
    var zone = uploader.querySelector("[data-dropzone]");
    var input = uploader.querySelector("[data-file-input]");
    var status = uploader.querySelector("[data-upload-status]");
    var take = function (files) { Array.prototype.forEach.call(files, function (f) { upload(uploader, f, status); }); };
    input.addEventListener("change", function () { take(input.files); input.value = ""; });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("is-over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) { event.preventDefault(); take(event.dataTransfer.files); });
    uploader.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove]");
      if (!button) { return; }
      button.closest("[data-upload-row]").remove();
      renumber(uploader);
      input.focus();
    });
    uploader.addEventListener("change", function (event) {
      if (event.target.hasAttribute("data-material-type")) { renumber(uploader); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-uploader]").forEach(setUp);
  });
})();
