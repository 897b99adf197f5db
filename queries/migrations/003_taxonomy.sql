-- 003_taxonomy: reference data is data (docs/ingest.md#reference-data). Sources, hazard
-- types and sources, key-person categories, survey channels, visit kinds and area-survey
-- respondent groups become the store table `taxonomy`, filled with the built-in lists
-- (dashboard/reference/taxonomy.csv as of this migration); categories may have no time
-- limit (deadline_hours NULL: 无时限) or no English name, and get their 大类's English name.
CREATE TABLE IF NOT EXISTS taxonomy (
    field   VARCHAR NOT NULL,
    code    VARCHAR NOT NULL,
    name    VARCHAR NOT NULL,
    name_en VARCHAR,
    parent  VARCHAR,
    sort    INTEGER NOT NULL,
    builtin BOOLEAN NOT NULL,
    PRIMARY KEY (field, code)
);
INSERT INTO taxonomy (field, code, name, name_en, parent, sort, builtin)
SELECT v.* FROM (VALUES
    ('incident_source', '网格员巡查', '网格员巡查', 'Grid patrol', NULL, 1, true),
    ('incident_source', '群众随手拍', '群众随手拍', 'Resident photo report', NULL, 2, true),
    ('incident_source', '12345热线', '12345热线', '12345 hotline', NULL, 3, true),
    ('incident_source', '物联感知', '物联感知', 'IoT sensors', NULL, 4, true),
    ('incident_source', '视频AI', '视频AI', 'Video AI', NULL, 5, true),
    ('hazard_type', '消防', '消防', 'Fire', NULL, 1, true),
    ('hazard_type', '燃气', '燃气', 'Gas', NULL, 2, true),
    ('hazard_type', '防汛', '防汛', 'Flood control', NULL, 3, true),
    ('hazard_type', '危房', '危房', 'Unsafe buildings', NULL, 4, true),
    ('hazard_type', '安全生产', '安全生产', 'Work safety', NULL, 5, true),
    ('hazard_type', '道路交通', '道路交通', 'Road traffic', NULL, 6, true),
    ('hazard_source', '网格员巡查', '网格员巡查', 'Grid patrol', NULL, 1, true),
    ('hazard_source', '部门检查', '部门检查', 'Department inspection', NULL, 2, true),
    ('hazard_source', '物联感知', '物联感知', 'IoT sensors', NULL, 3, true),
    ('hazard_source', '群众举报', '群众举报', 'Resident report', NULL, 4, true),
    ('key_person_category', '独居老人', '独居老人', 'Elderly living alone', NULL, 1, true),
    ('key_person_category', '空巢老人', '空巢老人', 'Empty-nest elderly', NULL, 2, true),
    ('key_person_category', '残疾人', '残疾人', 'Persons with disabilities', NULL, 3, true),
    ('key_person_category', '低保对象', '低保对象', 'Minimum-subsistence recipients', NULL, 4, true),
    ('key_person_category', '留守儿童', '留守儿童', 'Left-behind children', NULL, 5, true),
    ('key_person_category', '困境儿童', '困境儿童', 'Children in difficulty', NULL, 6, true),
    ('key_person_category', '严重精神障碍患者', '严重精神障碍患者', 'Persons with severe mental disorders', NULL, 7, true),
    ('key_person_category', '社区矫正对象', '社区矫正对象', 'Persons under community corrections', NULL, 8, true),
    ('key_person_category', '刑满释放人员', '刑满释放人员', 'Released prisoners', NULL, 9, true),
    ('key_person_category', '吸毒人员', '吸毒人员', 'Drug users', NULL, 10, true),
    ('survey_channel', '电话', '电话', 'Phone', NULL, 1, true),
    ('survey_channel', '短信', '短信', 'Text message', NULL, 2, true),
    ('survey_channel', '小程序', '小程序', 'Mini program', NULL, 3, true),
    ('survey_channel', '入户', '入户', 'Door to door', NULL, 4, true),
    ('survey_channel', '线上问卷', '线上问卷', 'Online questionnaire', NULL, 5, true),
    ('visit_kind', '上门走访', '上门走访', 'Home visit', NULL, 1, true),
    ('visit_kind', '电话随访', '电话随访', 'Phone follow-up', NULL, 2, true),
    ('visit_kind', '视频随访', '视频随访', 'Video follow-up', NULL, 3, true),
    ('area_survey_group', '居民', '居民', 'Residents', NULL, 1, true),
    ('area_survey_group', '商户', '商户', 'Shopkeepers', NULL, 2, true),
    ('area_survey_group', '企业', '企业', 'Enterprises', NULL, 3, true),
    ('area_survey_group', '流动人口', '流动人口', 'Migrant residents', NULL, 4, true)
) AS v(field, code, name, name_en, parent, sort, builtin)
WHERE NOT EXISTS (SELECT 1 FROM taxonomy AS t WHERE t.field = v.field AND t.code = v.code);
ALTER TABLE categories ALTER COLUMN deadline_hours DROP NOT NULL;
ALTER TABLE categories ALTER COLUMN name_en DROP NOT NULL;
ALTER TABLE categories ADD COLUMN major_name_en VARCHAR;
UPDATE categories AS c SET major_name_en = m.name_en
FROM (VALUES
    ('E01', 'City appearance'),
    ('E02', 'Advertising'),
    ('E03', 'Construction management'),
    ('E04', 'Emergencies'),
    ('E05', 'Street order'),
    ('E06', 'Market supervision'),
    ('C01', 'Public utilities'),
    ('C02', 'Road traffic (components)'),
    ('C03', 'City appearance (components)'),
    ('C04', 'Greenery'),
    ('S01', 'Disputes'),
    ('S02', 'Public security'),
    ('S03', 'Work safety'),
    ('S04', 'Fire safety'),
    ('S05', 'Environment and sanitation'),
    ('S06', 'Public services'),
    ('S07', 'Flood and typhoon control')
) AS m(major_code, name_en)
WHERE c.major_code = m.major_code;
