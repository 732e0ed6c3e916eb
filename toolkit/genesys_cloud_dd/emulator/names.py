"""Name pools for the synthetic org (plain words, so tag-sanitising tests see realistic input)."""

FIRST_NAMES = (
    'Ada', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kira', 'Liam', 'Maya',
    'Noah', 'Olga', 'Pablo', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Umar', 'Vera', 'Wei', 'Ximena', 'Yusuf', 'Zoe',
)

LAST_NAMES = (
    'Adams', 'Bianchi', 'Chen', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ivanova', 'Jensen',
    'Kowalski', 'Lopez', 'Müller', 'Nakamura', 'Okafor', 'Patel', 'Quispe', 'Rossi', 'Silva', 'Tanaka',
)

DIVISION_NAMES = ('Home', 'Sales', 'Support', 'Operations', 'Partners', 'Europe', 'Americas', 'Asia Pacific')

QUEUE_NAMES = (
    'Sales', 'Support', 'Billing', 'Retention', 'Technical Support', 'VIP', 'Returns', 'Onboarding',
    'Collections', 'Claims', 'Outbound Campaigns', 'Spanish Line',
)

OAUTH_CLIENT_NAMES = (
    'CRM sync', 'WFM export', 'Data warehouse ETL', 'Recording archiver', 'Survey bot', 'Ticketing bridge',
    'Quality dashboard', 'Chat widget backend', 'Outbound dialer feed', 'Reporting scheduler',
)

CHECK_CLIENT_NAME = 'Datadog Genesys Cloud integration'
