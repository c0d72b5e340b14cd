/* Field checks of the application form, the same rules the server applies (gateway/prereview:
   GB 11643 resident ID check digit, GB 32100 credit code with its GB 11714 organisation code, GB/T 37346 unit code segments), so that a
   clerk sees a mistake as soon as the field is left. The server checks everything again. */
(function (global) {
  "use strict";

  var ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var ID_CHECK = "10X98765432";
  var USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  var ORGANISATION_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
  var UNIT_SEGMENTS = [
    [0, 6, "县级行政区划代码", false], [6, 9, "地籍区代码", false], [9, 12, "地籍子区代码", false],
    [12, 14, "宗地（宗海）特征码", true], [14, 19, "宗地（宗海）顺序号", false],
    [19, 20, "定着物特征码", true], [20, 28, "定着物单元编号", false]
  ];

  function residentId(value) {
    if (!value) { return "请填写证件号码"; }
    var v = value.toUpperCase();
    if (!/^[0-9]{17}[0-9X]$/.test(v)) { return "居民身份证号码应为18位（前17位数字，末位数字或X），不含空格"; }
    var year = +v.slice(6, 10), month = +v.slice(10, 12), day = +v.slice(12, 14);
    var born = new Date(Date.UTC(year, month - 1, day));
    if (born.getUTCFullYear() !== year || born.getUTCMonth() !== month - 1 || born.getUTCDate() !== day) {
      return "居民身份证号码中的出生日期不存在";
    }
    var total = 0;
    for (var i = 0; i < 17; i++) { total += (+v[i]) * ID_WEIGHTS[i]; }
    return ID_CHECK[total % 11] === v[17] ? null : "居民身份证号码校验位错误，请逐位核对";
  }

  function creditCode(value) {
    if (!value) { return "请填写统一社会信用代码"; }
    if (value.length !== 18 || !/^[0-9]{8}/.test(value) || !value.split("").every(function (c) {
      return USCC_ALPHABET.indexOf(c) >= 0;
    })) {
      return "统一社会信用代码应为18位：前8位为数字，其余为数字或大写字母（不含I、O、S、V、Z）";
    }
    var total = 0;
    for (var i = 0; i < 17; i++) { total += USCC_ALPHABET.indexOf(value[i]) * USCC_WEIGHTS[i]; }
    var organisation = 0;  // characters 9-17 are a GB 11714 organisation code with its own check character
    for (var j = 0; j < 8; j++) { organisation += parseInt(value[8 + j], 36) * ORGANISATION_WEIGHTS[j]; }
    var rest = 11 - organisation % 11;
    var organisationCheck = rest === 10 ? "X" : rest === 11 ? "0" : String(rest);
    var valid = USCC_ALPHABET[(31 - total % 31) % 31] === value[17] && organisationCheck === value[16];
    return valid ? null : "统一社会信用代码校验位错误，请逐位核对";
  }

  function idNumber(type, value) {
    value = (value || "").trim();
    if (type === "RESIDENT_ID") { return residentId(value); }
    if (type === "USCC") { return creditCode(value); }
    if (!value) { return "请填写证件号码"; }
    return /^[0-9A-Za-z()\-]{1,40}$/.test(value) ? null : "证件号码只能包含字母、数字、括号和连字符，最多40位";
  }

  function unitCode(value) {
    value = (value || "").trim().toUpperCase();
    if (!value) { return "请填写不动产单元代码"; }
    if (value.length !== 28) { return "不动产单元代码应为28位，当前为" + value.length + "位"; }
    var wrong = UNIT_SEGMENTS.filter(function (s) {
      var part = value.slice(s[0], s[1]);
      return !(s[3] ? /^[A-Z]+$/ : /^[0-9]+$/).test(part);
    }).map(function (s) {
      var span = s[1] - s[0] === 1 ? "第" + (s[0] + 1) + "位" : "第" + (s[0] + 1) + "–" + s[1] + "位";
      return span + "（" + s[2] + "）应为" + (s[1] - s[0]) + "位" + (s[3] ? "大写字母" : "数字");
    });
    return wrong.length ? wrong.join("；") : null;
  }

  function amount(value) {
    var v = (value || "").replace(/[,，\s]/g, "");
    if (!v) { return "请填写被担保主债权数额"; }
    if (!/^[0-9]{1,13}(\.[0-9]{1,2})?$/.test(v) || +v <= 0) { return "请填写大于0的金额（元），最多两位小数"; }
    return null;
  }

  function isoDate(value) {
    var match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value || "");
    if (!match) { return false; }
    var day = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
    return day.getUTCFullYear() === +match[1] && day.getUTCMonth() === +match[2] - 1 && day.getUTCDate() === +match[3];
  }

  global.GatewayChecks = {
    idNumber: idNumber, unitCode: unitCode, amount: amount, isoDate: isoDate
  };
})(window);
