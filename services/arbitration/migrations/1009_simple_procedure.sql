-- How a case is heard: the ordinary procedure, or simply (简易处理, 2017
-- Arbitration Rules Arts 56-61) with a sole arbitrator.
ALTER TABLE cases ADD COLUMN track text NOT NULL DEFAULT 'ordinary' CHECK (track IN ('ordinary', 'simple'));
