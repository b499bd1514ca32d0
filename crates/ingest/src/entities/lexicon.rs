//! Word lists the entity rules rely on: surnames, official titles, place and
//! organisation suffixes, and words that look like names but are not. General
//! knowledge of Chinese news text, never taken from an evaluation corpus.

/// Common single-character surnames (the most frequent few hundred).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由贠";

/// The most common surnames whose character is rarely a word of its own
/// (no `明`, `文`, `和`): a two-character word jieba tags as a name counts
/// only when it starts with one of these.
const STRICT_SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金廖贾夏韦付邹孟熊秦邱尹薛闫段雷侯史陶黎顾毛郝龚邵钱覃戴莫孔汤康施樊葛邢乔伍庞颜倪庄聂章鲁岳翟殷詹耿焦俞柳阮柯梅童凌裴霍涂苗盛骆靳柴鲍喻祁蒲滕饶邬栾隋巫寇郎甄仲虞敖巩佘邝鞠荆冀郁胥储栗鄢谌奚冼蔺楼江";

/// Characters of transliterated foreign names (`普里马科夫`, `克林顿`).
const TRANSLITERATION: &str = "阿埃艾安奥巴拜班邦贝本比彼波伯布查达戴丹道德迪蒂杜多厄恩法菲费芬弗福盖戈格古哈海汉赫亨胡霍基吉加贾杰金卡凯坎康柯科克库拉莱赖兰劳勒雷里利莉琳林隆卢鲁路伦罗洛马玛迈麦曼梅蒙米姆穆纳娜内尼涅努诺帕佩皮珀普齐奇恰乔切钦丘萨塞桑瑟森沙舍什史斯松苏索塔泰坦汤特图托瓦万威韦维温沃乌西希谢辛休雅亚扬耶伊因尤约扎泽詹朱兹佐尔夫顿柏蒂娃娅丽莎琪芙黛";

/// Returns true when `c` is one of the most common, unambiguous surnames.
pub fn is_strict_surname(c: char) -> bool {
    STRICT_SURNAMES.contains(c)
}

/// Returns true when every character of `word` is used to write foreign
/// names (and the word is long enough to be one).
pub fn is_transliteration(word: &str) -> bool {
    word.chars().count() >= 3 && word.chars().all(|c| TRANSLITERATION.contains(c) || c == '·')
}

/// Two-character surnames.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐",
    "端木", "西门", "南宫", "独孤", "呼延", "轩辕",
];

/// Returns true when `c` is a common single-character surname.
pub fn is_surname(c: char) -> bool {
    SURNAMES.contains(c)
}

/// Returns the length in characters of the surname `name` starts with, if any.
pub fn surname_len(name: &str) -> Option<usize> {
    if COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s)) {
        return Some(2);
    }
    name.chars().next().filter(|c| is_surname(*c)).map(|_| 1)
}

/// Official and professional titles printed right before a person's name
/// (`省委书记楼阳生`, `市长常书铭`, `省领导张吉福`). Longest forms are tried first.
pub const TITLES: &[&str] = &[
    "总书记",
    "书记",
    "省长",
    "市长",
    "县长",
    "区长",
    "州长",
    "镇长",
    "乡长",
    "村长",
    "主任",
    "局长",
    "厅长",
    "部长",
    "处长",
    "科长",
    "主席",
    "总理",
    "委员长",
    "董事长",
    "总经理",
    "经理",
    "院长",
    "校长",
    "教授",
    "研究员",
    "秘书长",
    "会长",
    "社长",
    "总编辑",
    "司令员",
    "政委",
    "主编",
    "队长",
    "站长",
    "所长",
    "行长",
    "检察长",
    "庭长",
    "组长",
    "领导",
    "总统",
    "总裁",
    "首相",
    "外长",
    "大使",
    "议长",
    "国务卿",
    "厂长",
    "支书",
    "工程师",
    "博士",
    "教练",
    "运动员",
    "选手",
    "记者",
    "通讯员",
    "常委",
    "委员",
    "代表",
    "书法家",
    "画家",
    "作家",
    "艺术家",
    "专家",
    "将军",
    "主任医师",
    "医师",
    "老师",
    "法官",
    "检察官",
    "民警",
    "律师",
    "负责人",
    "创始人",
    "理事长",
    "审判长",
    "总监",
    "党组书记",
    "发言人",
    "同志们",
    "局长助理",
    "参赞",
    "领事",
    "总领事",
    "部长助理",
];

/// Characters that, right after a two-character name, start the words of the
/// sentence rather than a third character of the name (`林武主持`, `王伟在`).
pub const AFTER_NAME: &str = "在说指主出表强要和与的等同及一到来参对今是也就将会率带前赴深调检视讲介作代为向请陪宣致看慰听发提召了分先又已还都曾亲并于";

/// Place suffixes: administrative units and landforms.
pub const PLACE_SUFFIXES: &[char] =
    &['省', '市', '县', '区', '镇', '乡', '村', '州', '盟', '旗', '岛', '湖', '江', '河', '山', '港'];

/// Words that end in a place suffix but do not name a place, or that stand
/// before one without naming it (`全市`, `该县`).
pub const NOT_PLACE_PREFIXES: &[&str] = &[
    "全", "该", "本", "我", "各", "外", "两", "分", "城", "地", "此", "某", "每", "同", "他", "其", "一", "上", "下",
    "新", "老", "大", "小", "郊", "市", "县", "省", "区", "这", "那", "哪", "多", "省会", "城区", "市区", "社区",
    "辖区", "山区", "景区", "园区", "矿区", "农村", "乡村", "新村",
];

/// Organisation suffixes, longest first: a name ending in one of these
/// names an organisation when something before it names what it is of.
pub const ORG_SUFFIXES: &[&str] = &[
    "人民代表大会常务委员会",
    "常务委员会",
    "人民代表大会",
    "代表大会",
    "委员会",
    "人民政府",
    "人民法院",
    "人民检察院",
    "检察院",
    "法院",
    "政府",
    "办公厅",
    "办公室",
    "公安厅",
    "公安局",
    "有限公司",
    "股份公司",
    "公司",
    "集团",
    "银行",
    "支行",
    "分行",
    "大学",
    "学院",
    "中学",
    "小学",
    "学校",
    "医院",
    "卫生院",
    "研究院",
    "研究所",
    "研究中心",
    "科学院",
    "协会",
    "学会",
    "联合会",
    "基金会",
    "商会",
    "工会",
    "党委",
    "党组",
    "人大",
    "政协",
    "出版社",
    "报社",
    "杂志社",
    "通讯社",
    "电视台",
    "电台",
    "日报",
    "晚报",
    "合作社",
    "俱乐部",
    "代表团",
    "球队",
    "部队",
    "军区",
    "舰队",
    "中心",
    "联盟",
    "组织",
    "委",
    "厅",
    "局",
    "署",
    "办",
    "部",
    "院",
    "社",
    "所",
    "队",
    "党",
    "团",
    "军",
    "台",
    "站",
    "行",
    "处",
    "馆",
];

/// Single-character suffixes that only count when they stand as their own
/// token or end an unknown word; dictionary words ending in them (`结局`,
/// `格局`) are ordinary words.
pub const WEAK_ORG_SUFFIXES: &[&str] = &[
    "委", "厅", "局", "署", "办", "部", "院", "社", "所", "队", "党", "团", "军", "台", "站", "行", "处", "馆", "中心",
    "组织", "联盟",
];

/// One-character prefixes that stand for the paper's own province, city or
/// county before an organisation (`省公安厅`, `市卫健委`).
pub const ADMIN_PREFIXES: &[&str] = &["省", "市", "县", "区", "乡", "镇", "中央", "国家", "全国", "中共", "国务院"];

/// Words jieba sometimes tags as names that are ordinary words here.
pub const NOT_NAMES: &[&str] = &[
    "记者", "同志", "先生", "女士", "老师", "主任", "书记", "领导", "群众", "人民", "总理", "主席", "代表", "委员",
    "干部", "专家", "教授", "工作", "万元", "高度", "高峰", "江山", "文明", "华人", "黄金", "白天", "明天", "龙头",
    "金融", "安全", "方向", "向前", "向着", "于是", "和平", "平安", "连续", "高新", "常态", "常委", "党员", "石油",
    "钱包", "方面", "温暖", "严格", "任务", "任何", "任职", "时间", "时代", "成为", "成功", "成绩", "关键", "关心",
    "关注", "关于", "周年", "周边", "于是", "全面", "应对", "应急", "司法", "景区",
];

/// Common words jieba's dictionary tags as places (`ns`) that name no place
/// in running text.
pub const NOT_PLACES: &[&str] = &[
    "城市",
    "大街",
    "治安",
    "两国",
    "外国",
    "各国",
    "本国",
    "回国",
    "爱国",
    "祖国",
    "出国",
    "高原",
    "海洋",
    "东西",
    "西北",
    "东北",
    "西南",
    "东南",
    "神圣",
    "青春",
    "英雄",
    "美丽",
    "普及",
    "新建",
    "重大意义",
    "共和国",
    "大陆",
    "内地",
    "沿海",
    "山区",
    "农村",
    "城乡",
    "边疆",
    "故乡",
    "家乡",
    "异国",
    "他乡",
    "天下",
    "世界",
    "全球",
];

/// Characters that abbreviate a country (`中美`, `中俄`): a pair of them is a
/// relation between two places, not one place.
pub const COUNTRY_ABBREVIATIONS: &str = "中美俄日英法德加澳韩朝印巴意荷越泰菲新";

/// Characters a name cannot start with right after a title (`总统和夫人`).
pub const NOT_NAME_START: &str = "和与及等在的也都就将对向为从被把让使给同跟并或又还";

/// Job words stripped from bylines (`记者`, `实习记者`, `通讯员`).
pub const BYLINE_ROLES: &[&str] = &[
    "本报首席记者",
    "本报实习记者",
    "本报见习记者",
    "本报特约记者",
    "本报记者",
    "本报通讯员",
    "首席记者",
    "实习记者",
    "见习记者",
    "特约记者",
    "摄影记者",
    "记者",
    "通讯员",
    "实习生",
    "评论员",
    "摄影",
    "摄",
];
